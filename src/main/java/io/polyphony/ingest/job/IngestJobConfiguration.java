package io.polyphony.ingest.job;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.budget.Evictions;
import io.polyphony.ingest.budget.MemoryGuard;
import io.polyphony.ingest.budget.RoomBudget;
import io.polyphony.ingest.chunk.TextChunker;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.extract.ExtractionLimits;
import io.polyphony.ingest.extract.ParserProcesses;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.roomindex.Retrying;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.sample.ChunkSampler;
import java.nio.file.Path;
import java.time.Clock;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The ingest job: one chunk-oriented step whose item is a file. A transaction covers a few files: their
 * extraction and chunking, one embedding call for all of their chunks, their Redis writes, their
 * recorded results and the reader's position.
 */
@Configuration(proxyBeanMethods = false)
public class IngestJobConfiguration {

    public static final String JOB = "ingest";
    public static final String STEP = "ingestFiles";

    /** Job parameters a job spec may set to override the global limits. */
    public static final String MAX_FILE_BYTES = "maxFileBytes";
    public static final String MAX_CHUNKS_PER_FILE = "maxChunksPerFile";
    public static final String MAX_CHUNKS_PER_ROOM = "maxChunksPerRoom";
    /** Identifying job parameter of a retry: the run (job instance) whose files that failed for a passing cause it retries. */
    public static final String RETRY_OF = "retryOf";
    /** Job parameter of a rehydrate: the eviction whose documents it rebuilds. */
    public static final String REHYDRATE_OF = "rehydrateOf";
    /** Non-identifying job parameter: the job spec (jobs/NAME.yaml) that started the run, if any. */
    public static final String SPEC = "spec";

    @Bean
    public Job ingestJob(JobRepository jobRepository, Step ingestFilesStep, RunOwners runOwners,
                         IngestMetrics ingestMetrics) {
        return new JobBuilder(JOB, jobRepository).listener(runOwners).listener(ingestMetrics)
                .start(ingestFilesStep).build();
    }

    @Bean
    public Step ingestFilesStep(JobRepository jobRepository, PlatformTransactionManager transactionManager,
                                UploadedFilesReader uploadedFilesReader, FileToChunksProcessor fileToChunksProcessor,
                                EmbedAndStoreWriter embedAndStoreWriter, PolyphonyProperties props) {
        return new StepBuilder(STEP, jobRepository)
                .<FileTask, PreparedFile>chunk(props.ingest().filesPerChunk())
                .transactionManager(transactionManager)
                .reader(uploadedFilesReader)
                .processor(fileToChunksProcessor)
                .writer(embedAndStoreWriter)
                .build();
    }

    @Bean
    @StepScope
    public UploadedFilesReader uploadedFilesReader(@Value("#{jobParameters['path']}") String path,
                                                   @Value("#{jobParameters['room']}") String room,
                                                   @Value("#{jobParameters['" + RETRY_OF + "']}") Long retryOf,
                                                   @Value("#{jobParameters['" + REHYDRATE_OF + "']}") Long rehydrateOf,
                                                   IngestProgress progress, FileResults fileResults, Evictions evictions) {
        java.util.Set<String> only = retryOf == null ? null : new java.util.HashSet<>(fileResults.retryable(retryOf));
        java.util.Map<String, String> held = rehydrateOf == null ? null : evictions.documents(rehydrateOf);
        return new UploadedFilesReader(Path.of(path), room == null || room.isBlank() ? null : room, progress, only, held);
    }

    @Bean
    @StepScope
    public FileToChunksProcessor fileToChunksProcessor(TextExtractor textExtractor, Embedder embedder, RoomIndex roomIndex,
                                                       Retrying redisRetrying, PolyphonyProperties props,
                                                       IngestProgress progress, PendingChunks pendingChunks,
                                                       @Value("#{stepExecution}") StepExecution stepExecution,
                                                       @Value("#{jobParameters['" + MAX_FILE_BYTES + "']}") Long maxFileBytes,
                                                       @Value("#{jobParameters['" + MAX_CHUNKS_PER_FILE + "']}") Long maxChunksPerFile,
                                                       @Value("#{jobParameters['" + MAX_CHUNKS_PER_ROOM + "']}") Long maxChunksPerRoom) {
        PolyphonyProperties.Ingest ingest = props.ingest();
        TextChunker chunker = TextChunker.forModel(ingest.chunking(), embedder);
        // a job spec's overrides arrive as job parameters; without them the global settings apply
        TextExtractor extractor = maxFileBytes == null ? textExtractor : textExtractor.withMaxFileBytes(maxFileBytes);
        int perFile = maxChunksPerFile == null ? ingest.maxChunksPerFile() : Math.toIntExact(maxChunksPerFile);
        RoomBudget budget = roomBudget(props, maxChunksPerRoom);
        return new FileToChunksProcessor(extractor, chunker, new ChunkSampler(perFile, Math.min(10, perFile)),
                roomIndex, redisRetrying, embedder.info(), Long.toString(stepExecution.getJobExecution().getJobInstance().getId()),
                budget, progress, pendingChunks);
    }

    /** What the files accepted into the current transaction will add to their rooms (processor and writer share it). */
    @Bean
    @StepScope
    PendingChunks pendingChunks() {
        return new PendingChunks();
    }

    @Bean
    @StepScope
    public EmbedAndStoreWriter embedAndStoreWriter(Embedder embedder, RoomIndex roomIndex, Retrying redisRetrying,
                                                   FileResults fileResults, IngestProgress progress, IngestMetrics metrics,
                                                   UploadArchive uploadArchive, MemoryGuard memoryGuard, PolyphonyProperties props,
                                                   PendingChunks pendingChunks,
                                                   @Value("#{jobParameters['" + MAX_CHUNKS_PER_ROOM + "']}") Long maxChunksPerRoom,
                                                   @Value("#{stepExecution}") StepExecution stepExecution) {
        RoomBudget budget = roomBudget(props, maxChunksPerRoom);
        return new EmbedAndStoreWriter(embedder, roomIndex, redisRetrying, fileResults, progress, metrics, uploadArchive,
                memoryGuard, budget, pendingChunks,
                stepExecution.getJobExecution().getJobInstance().getId(), stepExecution.getJobExecution().getId());
    }

    /** The global per-room budget, or a job spec's override of its size. */
    private static RoomBudget roomBudget(PolyphonyProperties props, Long maxChunksPerRoom) {
        int perRoom = maxChunksPerRoom == null ? props.budget().maxChunksPerRoom() : Math.toIntExact(maxChunksPerRoom);
        return new RoomBudget(perRoom, props.budget().evictOldest());
    }

    /** Lazy: Tika's parsers are loaded only by commands that read files. */
    @Bean(destroyMethod = "close")
    @Lazy
    public TextExtractor textExtractor(PolyphonyProperties props, ParserProcesses parserProcesses) {
        return new TextExtractor(extractionLimits(props), parserProcesses);
    }

    /** Commands that parse and write rooms as soon as they have started. */
    static final java.util.Set<String> INGESTING_COMMANDS = java.util.Set.of("ingest", "replay", "rehydrate");

    /**
     * For {@code main}: a command that is about to ingest starts its parser process and reads Tika's type database
     * now, while the application starts, instead of when the step parses its first file (a JVM start of about 4 s and
     * 0.6 s of type database that the step would wait for).
     */
    public static org.springframework.context.ApplicationContextInitializer<org.springframework.context.ConfigurableApplicationContext>
            preloadFor(String[] args) {
        return ctx -> {
            if (args.length == 0 || !INGESTING_COMMANDS.contains(args[0])) {
                return;
            }
            PolyphonyProperties props = org.springframework.boot.context.properties.bind.Binder.get(ctx.getEnvironment())
                    .bindOrCreate("polyphony", PolyphonyProperties.class);
            ParserProcesses parsers = newParserProcesses(props);
            parsers.warmUp();
            TextExtractor.warmUp();
            ctx.getBeanFactory().registerSingleton("parserPreload", new ParserPreload(parsers));
        };
    }

    /** A parser pool started ahead of the context; the {@link #parserProcesses} bean is then this one. */
    public record ParserPreload(ParserProcesses parsers) {
    }

    /**
     * For a command that is about to ingest, the embedded Redis starts now, in the background, instead of when the
     * step first writes (about a second that the step would otherwise wait).
     */
    @Bean
    public WarmUp ingestWarmUp(org.springframework.boot.ApplicationArguments args, PolyphonyProperties props,
                               ObjectProvider<io.polyphony.ingest.roomindex.EmbeddedRedis> embeddedRedis) {
        String[] source = args.getSourceArgs();
        String url = props.redis().url();
        if (source.length == 0 || !INGESTING_COMMANDS.contains(source[0]) || (url != null && !url.isBlank())) {
            return new WarmUp(false);
        }
        embeddedRedis.getObject(); // starts on its own thread
        return new WarmUp(true);
    }

    /** Whether this command started the embedded Redis while starting. */
    public record WarmUp(boolean redisStarted) {
    }

    /** The child JVMs that parse documents; they start on first use (or while a command starts), and die with this context. */
    @Bean(destroyMethod = "close")
    @Lazy
    public ParserProcesses parserProcesses(PolyphonyProperties props, ObjectProvider<ParserPreload> preload) {
        ParserPreload started = preload.getIfAvailable();
        return started != null ? started.parsers() : newParserProcesses(props);
    }

    private static ParserProcesses newParserProcesses(PolyphonyProperties props) {
        PolyphonyProperties.Ingest ingest = props.ingest();
        ExtractionLimits limits = extractionLimits(props);
        return new ParserProcesses(new ParserProcesses.Settings(ingest.parserProcesses(), ingest.parserHeap().toBytes(),
                limits.timeout(), limits.maxChars(), java.time.Duration.ofMinutes(5)));
    }

    private static ExtractionLimits extractionLimits(PolyphonyProperties props) {
        return ExtractionLimits.defaults().withMaxFileBytes(props.ingest().maxFileBytes())
                .withTimeout(props.ingest().parseTimeout());
    }

    @Bean
    public FileResults fileResults(JdbcTemplate jdbcTemplate) {
        return new FileResults(jdbcTemplate);
    }

    /** Meters go to the server's registry (Prometheus); the command line, which has none, counts into a local one. */
    @Bean
    public IngestMetrics ingestMetrics(ObjectProvider<MeterRegistry> registry) {
        return new IngestMetrics(registry.getIfAvailable(SimpleMeterRegistry::new));
    }

    @Bean
    public RunLauncher runLauncher(IngestRuns runs, ObjectProvider<RunQueue> queue) {
        return new RunLauncher(runs, queue);
    }

    @Bean
    public RunHistory runHistory(IngestRuns runs) {
        return new RunHistory(runs);
    }

    @Bean
    public UploadArchive uploadArchive(PolyphonyProperties props) {
        return new UploadArchive(props.uploadsDir());
    }

    @Bean
    public RunOwners runOwners(JdbcTemplate jdbcTemplate, PolyphonyProperties props) {
        return new RunOwners(jdbcTemplate, props.lease().heartbeat(), props.lease().expiry());
    }

    @Bean
    public IngestProgress ingestProgress() {
        return new IngestProgress();
    }
}
