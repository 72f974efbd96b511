package io.polyphony.ingest;

import io.polyphony.ingest.chunk.ChunkingOptions;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import io.polyphony.ingest.budget.DiskBudget;
import org.springframework.util.unit.DataSize;

/**
 * @param modelsDir folder of model folders; unset means the repository's {@code models/}, found from
 *                  the jar's or classes' location whatever the working directory
 * @param dataDir   H2 files, embedded Redis files, uploads ({@code POLYPHONY_DATA_DIR})
 * @param jobsDir   declared job specs; unset means the repository's {@code jobs/}, found like {@code models/}
 * @param apiKey    required in {@code X-API-Key} by every state-changing endpoint when set, and always when
 *                  the server listens beyond loopback ({@code POLYPHONY_API_KEY})
 * @param index     index layout: {@code auto} (vectorset where the server has VADD, search where it has
 *                  FT.CREATE, scan otherwise), {@code vectorset}, {@code search} or {@code scan}
 * @param vectorQuantization the vector sets' quantization: {@code q8}, {@code noquant} or {@code bin}
 * @param vectorM   links per node of a vector set's HNSW graph ({@code VADD … M})
 * @param shutdownGrace how long {@code serve} waits, on SIGTERM, for its runs to stop at a transaction boundary
 * @param workers   runs a server executes at once, taken from the queue every server shares (0, the default: one per
 *                  two cores)
 * @param backlog   runs that may wait in that queue for a worker (counted over all servers); over it a launch gets 429
 * @param disk      quotas of the upload archive and the data folder's free-space floor
 */
@ConfigurationProperties("polyphony")
public record PolyphonyProperties(Path modelsDir, @DefaultValue("./data") Path dataDir, Path jobsDir,
                                  @DefaultValue("") String apiKey, @DefaultValue("auto") String index,
                                  @DefaultValue("q8") String vectorQuantization, @DefaultValue("8") int vectorM,
                                  @DefaultValue Embedding embedding,
                                  @DefaultValue Ingest ingest, @DefaultValue Redis redis, @DefaultValue Budget budget,
                                  @DefaultValue Lease lease, @DefaultValue("30s") Duration shutdownGrace,
                                  @DefaultValue("0") int workers, @DefaultValue("16") int backlog,
                                  @DefaultValue Disk disk) {

    /** Runs a server executes at once: {@code polyphony.workers}, or one per two cores when it is 0. */
    public int workerCount() {
        return workers > 0 ? workers : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** Where uploads are kept, by room ({@code <data-dir>/uploads/<roomId>/<file>}): the inbox and the archive. */
    public Path uploadsDir() {
        return dataDir.resolve("uploads");
    }

    /**
     * @param model     name of the folder under models/ to embed with
     * @param batchSize sequences per forward pass (after length bucketing); 4: small batches keep a lane's activations
     *                  in cache and its pages in glibc's heap (a 40-file ingest 2.2 s faster than with 16)
     * @param precision {@code fp32} or {@code bf16} for every BERT model, over the model folders' {@code option.precision};
     *                  empty (the default): as the folders say ({@code auto}: bf16 where the processor has it)
     * @param lanes     batches embedded at once, each on its own thread with {@code cores / lanes} libtorch threads;
     *                  0 (the default): one per core
     * @param moduleCache folder where TorchScript modules generated from ONNX weights are kept between runs;
     *                    {@code auto} (the default): {@code $XDG_CACHE_HOME/polyphony-ingest/modules}, else
     *                    {@code ~/.cache/polyphony-ingest/modules}; {@code none}: generate at every start
     */
    public record Embedding(@DefaultValue("minilm-bge-ensemble") String model, @DefaultValue("4") int batchSize,
                            @DefaultValue("") String precision, @DefaultValue("0") int lanes,
                            @DefaultValue("auto") String moduleCache) {

        /** The module cache folder, or null for none. */
        public Path moduleCacheDir() {
            String v = moduleCache == null ? "" : moduleCache.strip();
            if (v.equals("none")) {
                return null;
            }
            if (v.isEmpty() || v.equals("auto")) {
                String xdg = System.getenv("XDG_CACHE_HOME");
                Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
                return base.resolve("polyphony-ingest").resolve("modules");
            }
            return Path.of(v);
        }
    }

    /**
     * @param filesPerChunk   files per transaction of the ingest step (and per cross-file embedding batch)
     * @param maxFileBytes    larger files are rejected before being read
     * @param maxChunksPerFile a file with more chunks is sampled down to this many
     * @param chunkChars      target chunk size in characters
     * @param overlapChars    overlap between consecutive chunks, in whole sentences up to this many characters
     * @param parseTimeout    longest a single file may take to parse; its parser process is killed after it
     * @param parserProcesses child JVMs that parse documents (at most this many parse at once)
     * @param parserHeap      each parser process's maximum heap: a document that expands past it fails as
     *                        {@code parser_crash}, and this process's heap never sees it
     */
    public record Ingest(@DefaultValue("8") int filesPerChunk, @DefaultValue("10485760") long maxFileBytes,
                         @DefaultValue("500") int maxChunksPerFile, @DefaultValue("500") int chunkChars,
                         @DefaultValue("80") int overlapChars, @DefaultValue("60s") Duration parseTimeout,
                         @DefaultValue("1") int parserProcesses, @DefaultValue("384MB") DataSize parserHeap) {

        public ChunkingOptions chunking() {
            return new ChunkingOptions(chunkChars, overlapChars);
        }
    }

    /**
     * @param url          {@code redis://[user:password@]host:port[/db]} or {@code rediss://...} ({@code REDIS_URL});
     *                     empty means the embedded server
     * @param embeddedPort port of the embedded server, on 127.0.0.1
     * @param retryAttempts attempts for each Redis operation before the step fails
     * @param retryDelay   first backoff delay, doubled on each attempt
     */
    public record Redis(@DefaultValue("") String url, @DefaultValue("6390") int embeddedPort,
                        @DefaultValue("6") int retryAttempts, @DefaultValue("250ms") Duration retryDelay) {
    }

    /**
     * @param maxRoomBytes    a room's archived uploads may take this much disk (0: no quota)
     * @param maxArchiveBytes all rooms' archived uploads together (0: no quota)
     * @param minFree         free space the data folder's disk keeps: an upload that would go below it gets 507
     */
    public record Disk(@DefaultValue("1GB") DataSize maxRoomBytes, @DefaultValue("0") DataSize maxArchiveBytes,
                       @DefaultValue("1GB") DataSize minFree) {

        public DiskBudget budget() {
            return new DiskBudget(maxRoomBytes.toBytes(), maxArchiveBytes.toBytes(), minFree.toBytes());
        }
    }

    /**
     * @param heartbeat how often a process renews the leases of the runs it executes
     * @param expiry    a lease not renewed for this long (as another process watches it) is its dead owner's: the
     *                  run is recovered and restarted by one surviving process
     */
    public record Lease(@DefaultValue("10s") Duration heartbeat, @DefaultValue("60s") Duration expiry) {
    }

    /**
     * @param maxChunksPerRoom chunks a room may hold (a job spec may override it); 0 means no limit
     * @param roomFull         {@code reject}: a document that would not fit is REJECTED room_full;
     *                         {@code evict-oldest}: the room's oldest documents make way for it
     * @param memoryFraction   share of Redis's {@code maxmemory} the rooms may fill
     * @param memory           the budget when Redis's {@code maxmemory} is 0 (empty: no memory budget)
     * @param inactiveAfter    a room untouched this long may be evicted under memory pressure
     */
    public record Budget(@DefaultValue("1000") int maxChunksPerRoom, @DefaultValue("reject") String roomFull,
                         @DefaultValue("0.8") double memoryFraction, DataSize memory,
                         @DefaultValue("30m") Duration inactiveAfter) {

        public Budget {
            if (!roomFull.equals("reject") && !roomFull.equals("evict-oldest")) {
                throw new IllegalArgumentException("polyphony.budget.room-full must be 'reject' or 'evict-oldest', not '"
                        + roomFull + "'");
            }
            if (memoryFraction <= 0 || memoryFraction > 1) {
                throw new IllegalArgumentException("polyphony.budget.memory-fraction must be in (0, 1], not " + memoryFraction);
            }
        }

        public boolean evictOldest() {
            return roomFull.equals("evict-oldest");
        }
    }
}
