package io.polyphony.ingest.embed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The precision of a model's weights and matrix products: {@code bf16} where the processor multiplies bfloat16 natively
 * (AVX512-BF16 or AMX, on Intel and AMD alike), {@code fp32} elsewhere. Layer norms, softmax and pooling stay fp32.
 * Chosen at load by {@code option.precision=auto|fp32|bf16} in a model's {@code serving.properties}.
 */
public enum Precision {
    FP32, BF16;

    /** {@code auto} (or nothing) picks by the processor; {@code fp32} or {@code bf16} force one. */
    public static Precision parse(String option) {
        String o = option == null ? "auto" : option.trim().toLowerCase(Locale.ROOT);
        return switch (o) {
            case "auto", "" -> detect();
            case "fp32" -> FP32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("option.precision '" + option + "': expected auto, fp32 or bf16");
        };
    }

    /** BF16 when the processor has native bfloat16 products, FP32 otherwise. */
    public static Precision detect() {
        return nativeBf16(cpuFlags()) ? BF16 : FP32;
    }

    /** Whether these {@code /proc/cpuinfo} flags include a native bfloat16 product (AVX512-BF16 or AMX-BF16). */
    static boolean nativeBf16(Set<String> flags) {
        return flags.contains("avx512_bf16") || flags.contains("amx_bf16");
    }

    /** The processor's feature flags from {@code /proc/cpuinfo}; empty where there is none (not Linux). */
    public static Set<String> cpuFlags() {
        Path info = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(info)) {
            return Set.of();
        }
        try (Stream<String> lines = Files.lines(info)) {
            return lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Stream.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+")).collect(Collectors.toSet()))
                    .orElse(Set.of());
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** The processor's model name from {@code /proc/cpuinfo}, for reports. */
    public static String cpuModel() {
        Path info = Path.of("/proc/cpuinfo");
        if (Files.isReadable(info)) {
            try (Stream<String> lines = Files.lines(info)) {
                return lines.filter(l -> l.startsWith("model name")).findFirst()
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(System.getProperty("os.arch"));
            } catch (IOException e) {
                // fall through
            }
        }
        return System.getProperty("os.arch");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
