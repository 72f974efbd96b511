package io.polyphony.ingest.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FastStartTests {

    @Test
    void theJvmOptionsAreWhatComesBeforeTheJar() {
        assertThat(FastStart.jvmOptions(List.of("-Xmx1g", "-XX:+UseSerialGC", "-jar", "app.jar", "ingest", "-jar")))
                .contains(List.of("-Xmx1g", "-XX:+UseSerialGC"));
        assertThat(FastStart.jvmOptions(List.of("-jar", "app.jar"))).contains(List.of());
        assertThat(FastStart.jvmOptions(List.of("-cp", "classes", "io.polyphony.ingest.Main", "ingest"))).isEmpty();
    }

    @Test
    void optionsThatChooseTheirOwnSharingOrADebuggerAreLeftAlone() {
        assertThat(FastStart.suitable(List.of("-XX:TieredStopAtLevel=1", "-Xmx2g", "-Dpolyphony.x=y"))).isTrue();
        assertThat(FastStart.suitable(List.of("-Xshare:off"))).isFalse();
        assertThat(FastStart.suitable(List.of("-XX:SharedArchiveFile=/tmp/a.jsa"))).isFalse();
        assertThat(FastStart.suitable(List.of("-XX:ArchiveClassesAtExit=/tmp/a.jsa"))).isFalse();
        assertThat(FastStart.suitable(List.of("-agentlib:jdwp=transport=dt_socket,server=y,address=5005"))).isFalse();
    }

    @Test
    void eachCommandHasItsArchiveForEachSetOfOptions() {
        assertThat(FastStart.command(new String[] {"ingest", "/data"})).isEqualTo("ingest");
        assertThat(FastStart.command(new String[] {"--help"})).isEqualTo("help");
        assertThat(FastStart.command(new String[] {"../x"})).isEqualTo("x");
        assertThat(FastStart.command(new String[] {})).isEqualTo("none");
        String a = FastStart.archiveName("ingest", List.of("-Xmx1g"));
        assertThat(a).matches("ingest-[0-9a-f]{12}");
        assertThat(FastStart.archiveName("ingest", List.of("-Xmx1g"))).isEqualTo(a);
        assertThat(FastStart.archiveName("ingest", List.of("-Xmx2g"))).isNotEqualTo(a);
        assertThat(FastStart.archiveName("serve", List.of("-Xmx1g"))).isNotEqualTo(a).startsWith("serve-");
        assertThat(FastStart.archiveName("ingest", List.of("-Dpolyphony.testing.halt-at=x", "-Xmx1g"))).isEqualTo(a);
        assertThat(FastStart.archiveName("ingest", List.of("-Djava.system.class.loader=x", "-Xmx1g"))).isNotEqualTo(a);
    }

    @Test
    void theReplacementRunsTheUnpackedClassesWithTheUsersOptionsAndArguments() {
        List<String> cmd = FastStart.command("/jdk/bin/java", List.of("-Xmx1g"), List.of("-XX:SharedArchiveFile=/c/a.jsa"),
                Path.of("/opt/app"), Path.of("/c/app/polyphony-ingest.jar"), "io.polyphony.ingest.PolyphonyApplication",
                new String[] {"ingest", "/data", "--room", "r 1"});
        assertThat(cmd).containsExactly("/jdk/bin/java", "-Xshare:auto", "-Xlog:disable", "-Xlog:all=warning,cds*=error:stderr",
                "-Xmx1g", "-XX:SharedArchiveFile=/c/a.jsa", "-Dpolyphony.home=/opt/app", "-cp", "/c/app/polyphony-ingest.jar",
                "io.polyphony.ingest.PolyphonyApplication", "ingest", "/data", "--room", "r 1");
    }

    @Test
    void commandsThatRunAndExitStartWithC1AndTheSerialCollectorUnlessTheUserChoseEither() {
        assertThat(FastStart.startUpOptions("ingest", List.of("-Xmx2g"))).containsExactly("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        assertThat(FastStart.startUpOptions("ingest", List.of("-XX:+UseG1GC"))).containsExactly("-XX:TieredStopAtLevel=1");
        assertThat(FastStart.startUpOptions("replay", List.of("-XX:TieredStopAtLevel=4"))).containsExactly("-XX:+UseSerialGC");
        assertThat(FastStart.startUpOptions("ingest", List.of("-XX:-TieredCompilation", "-XX:+UseParallelGC"))).isEmpty();
        assertThat(FastStart.startUpOptions("serve", List.of())).isEmpty(); // a server runs long: the JVM's own choice
    }

    @Test
    void offByItsSystemProperty() {
        String before = System.getProperty(FastStart.SWITCH);
        try {
            System.setProperty(FastStart.SWITCH, "false");
            assertThat(FastStart.enabled()).isFalse();
            System.setProperty(FastStart.SWITCH, "true");
            assertThat(FastStart.enabled()).isTrue();
        } finally {
            if (before == null) {
                System.clearProperty(FastStart.SWITCH);
            } else {
                System.setProperty(FastStart.SWITCH, before);
            }
        }
    }

    @Test
    void aProcessThatWasNotReplacedHasNoHomeOfItsOwnNorArchivesForItsChildren() {
        assertThat(FastStart.home()).isEmpty();
        assertThat(FastStart.classArchiveOptions("parser", List.of("-Xmx384m"))).isEmpty();
    }
}
