package io.polyphony.ingest.job;

import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.chunk.TextChunker;
import io.polyphony.ingest.embed.Embedder;
import io.polyphony.ingest.extract.ExtractionLimits;
import io.polyphony.ingest.extract.TextExtractor;
import io.polyphony.ingest.roomindex.Retrying;
import io.polyphony.ingest.roomindex.RoomIndex;
import io.polyphony.ingest.sample.ChunkSampler;
import java.nio.file.Path;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
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

    @Bean
    public Job ingestJob(JobRepository jobRepository, Step ingestFilesStep) {
        return new JobBuilder(JOB, jobRepository).start(ingestFilesStep).build();
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
                                                   @Value("#{jobParameters['room']}") String room, IngestProgress progress) {
        return new UploadedFilesReader(Path.of(path), room == null || room.isBlank() ? null : room, progress);
    }

    @Bean
    @StepScope
    public FileToChunksProcessor fileToChunksProcessor(TextExtractor textExtractor, Embedder embedder, RoomIndex roomIndex,
                                                       Retrying redisRetrying, PolyphonyProperties props,
                                                       @Value("#{stepExecution}") StepExecution stepExecution) {
        PolyphonyProperties.Ingest ingest = props.ingest();
        TextChunker chunker = TextChunker.forModel(ingest.chunking(), embedder);
        return new FileToChunksProcessor(textExtractor, chunker, new ChunkSampler(ingest.maxChunksPerFile(), 10),
                roomIndex, redisRetrying, embedder.info(), Long.toString(stepExecution.getJobExecution().getJobInstance().getId()));
    }

    @Bean
    @StepScope
    public EmbedAndStoreWriter embedAndStoreWriter(Embedder embedder, RoomIndex roomIndex, Retrying redisRetrying,
                                                   FileResults fileResults, IngestProgress progress,
                                                   @Value("#{stepExecution}") StepExecution stepExecution) {
        return new EmbedAndStoreWriter(embedder, roomIndex, redisRetrying, fileResults, progress,
                stepExecution.getJobExecution().getJobInstance().getId(), stepExecution.getJobExecution().getId());
    }

    /** Lazy: Tika's parsers are loaded only by commands that read files. */
    @Bean(destroyMethod = "close")
    @Lazy
    public TextExtractor textExtractor(PolyphonyProperties props) {
        return new TextExtractor(ExtractionLimits.defaults().withMaxFileBytes(props.ingest().maxFileBytes())
                .withTimeout(props.ingest().parseTimeout()));
    }

    @Bean
    public FileResults fileResults(JdbcTemplate jdbcTemplate) {
        return new FileResults(jdbcTemplate);
    }

    @Bean
    public IngestProgress ingestProgress() {
        return new IngestProgress();
    }
}
