package io.polyphony.ingest.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PrecisionTests {

    @Test
    void bf16WhereTheProcessorMultipliesBfloat16NativelyOnIntelAndAmdAlike() {
        assertThat(Precision.nativeBf16(Set.of("avx2", "avx512f", "avx512_bf16"))).isTrue(); // Zen 4/5, Cooper Lake
        assertThat(Precision.nativeBf16(Set.of("avx512f", "amx_tile", "amx_bf16"))).isTrue(); // Sapphire Rapids
        assertThat(Precision.nativeBf16(Set.of("avx2", "avx512f", "avx512_vnni"))).isFalse(); // Ice Lake: fp32
        assertThat(Precision.nativeBf16(Set.of())).isFalse(); // not Linux, or no flags: fp32
    }

    @Test
    void theOptionForcesOneOrLeavesItToTheProcessor() {
        assertThat(Precision.parse("fp32")).isEqualTo(Precision.FP32);
        assertThat(Precision.parse(" BF16 ")).isEqualTo(Precision.BF16);
        assertThat(Precision.parse("auto")).isEqualTo(Precision.detect());
        assertThat(Precision.parse(null)).isEqualTo(Precision.detect());
        assertThat(Precision.detect()).isEqualTo(Precision.nativeBf16(Precision.cpuFlags()) ? Precision.BF16 : Precision.FP32);
        assertThatThrownBy(() -> Precision.parse("fp16")).hasMessageContaining("expected auto, fp32 or bf16");
    }
}
