package io.polyphony.ingest.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;

/**
 * The ingest's Micrometer meters (Prometheus names in brackets): files by outcome and reason
 * ({@code polyphony_ingest_files_total}), chunks embedded ({@code polyphony_ingest_chunks_embedded_total}),
 * embedding latency per call ({@code polyphony_embedding_seconds}) and the last call's chunks/s
 * ({@code polyphony_embedding_chunks_per_second}), bytes written to Redis
 * ({@code polyphony_redis_written_bytes_total}) and job durations by status ({@code polyphony_ingest_job_seconds}).
 */
public class IngestMetrics implements JobExecutionListener {

    private final MeterRegistry registry;
    private final Counter chunksEmbedded;
    private final Counter bytesWritten;
    private final Timer embedding;
    private final AtomicLong lastChunksPerSecondMilli = new AtomicLong();

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.chunksEmbedded = Counter.builder("polyphony.ingest.chunks.embedded").description("chunks embedded")
                .register(registry);
        this.bytesWritten = Counter.builder("polyphony.redis.written").baseUnit("bytes")
                .description("chunk content and vector bytes written to Redis").register(registry);
        this.embedding = Timer.builder("polyphony.embedding").description("one embedding call (a batch of chunks)")
                .register(registry);
        registry.gauge("polyphony.embedding.chunks.per.second", lastChunksPerSecondMilli, a -> a.get() / 1000.0);
    }

    void embedded(int chunks, long nanos) {
        embedding.record(Duration.ofNanos(nanos));
        chunksEmbedded.increment(chunks);
        if (nanos > 0) {
            lastChunksPerSecondMilli.set(Math.round(chunks * 1e12 / nanos));
        }
    }

    /** Chunks embedded since this process started. */
    long chunksEmbedded() {
        return (long) chunksEmbedded.count();
    }

    void written(long bytes) {
        bytesWritten.increment(bytes);
    }

    void files(List<FileResult> results) {
        for (FileResult r : results) {
            Counter.builder("polyphony.ingest.files").description("files by outcome and reason")
                    .tag("outcome", r.outcome().name()).tag("reason", r.reason() == null ? "none" : r.reason().code())
                    .register(registry).increment();
        }
    }

    @Override
    public void afterJob(JobExecution execution) {
        if (execution.getStartTime() != null) {
            LocalDateTime end = execution.getEndTime() == null ? LocalDateTime.now() : execution.getEndTime();
            Timer.builder("polyphony.ingest.job").description("ingest job executions")
                    .tag("status", execution.getStatus().name()).register(registry)
                    .record(Duration.between(execution.getStartTime(), end));
        }
    }
}
