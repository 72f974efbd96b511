package io.polyphony.ingest.job;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.batch.autoconfigure.BatchTaskExecutor;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;

/**
 * Runs in the server ({@code serve}): launches return at once with the new execution (the command line
 * waits for its run instead), and executions a killed process left {@code STARTED} are recovered when
 * the server is ready.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
public class ServerRunsConfiguration {

    @Bean
    @BatchTaskExecutor
    public TaskExecutor ingestTaskExecutor() {
        SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("ingest-");
        executor.setConcurrencyLimit(4);
        return executor;
    }

    @Bean
    public InterruptedRunsRecovery interruptedRunsRecovery(IngestRuns runs) {
        return new InterruptedRunsRecovery(runs);
    }

    /** Recovers interrupted runs once the server is up. */
    public static final class InterruptedRunsRecovery {
        private final IngestRuns runs;

        InterruptedRunsRecovery(IngestRuns runs) {
            this.runs = runs;
        }

        @EventListener(ApplicationReadyEvent.class)
        public void recover() {
            runs.recoverInterrupted();
        }
    }
}
