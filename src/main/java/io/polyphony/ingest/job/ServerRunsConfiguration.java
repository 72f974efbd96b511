package io.polyphony.ingest.job;

import io.polyphony.ingest.roomindex.RoomIndex;
import org.springframework.beans.factory.ObjectProvider;
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
    public InterruptedRunsRecovery interruptedRunsRecovery(IngestRuns runs, ObjectProvider<RoomIndex> rooms) {
        return new InterruptedRunsRecovery(runs, rooms);
    }

    /** Recovers interrupted runs once the server is up. */
    public static final class InterruptedRunsRecovery {
        private final IngestRuns runs;
        private final ObjectProvider<RoomIndex> rooms;

        InterruptedRunsRecovery(IngestRuns runs, ObjectProvider<RoomIndex> rooms) {
            this.runs = runs;
            this.rooms = rooms;
        }

        /** Also connects to Redis now, so a Redis we must not use (its eviction policy) stops the server at start-up. */
        @EventListener(ApplicationReadyEvent.class)
        public void recover() {
            rooms.getObject();
            runs.recoverInterrupted();
        }
    }
}
