package io.polyphony.ingest.schedule;

import io.polyphony.ingest.PolyphonyApplication;
import io.polyphony.ingest.PolyphonyProperties;
import io.polyphony.ingest.job.IngestRuns.RunConflictException;
import io.polyphony.ingest.job.RunLauncher;
import io.polyphony.ingest.job.RunQueue.RunsBusyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.scheduling.support.CronTrigger;
import org.springframework.stereotype.Component;

/**
 * The jobs declared in {@code jobs/}, validated when the server starts (an invalid spec stops it with
 * every problem named), and run on their schedules. A tick that finds its job still running is skipped.
 */
@Component
@ConditionalOnWebApplication
public class DeclaredJobs implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DeclaredJobs.class);

    private final List<JobSpec> specs;
    private final RunLauncher runs;
    private ThreadPoolTaskScheduler scheduler;

    public DeclaredJobs(PolyphonyProperties props, RunLauncher runs) {
        Path dir = jobsDir(props.jobsDir(), PolyphonyApplication.home());
        this.specs = JobSpecs.load(dir, dir.toAbsolutePath().getParent());
        this.runs = runs;
        String model = props.embedding().model();
        List<String> problems = specs.stream().filter(s -> s.model().isPresent() && !s.model().get().equals(model))
                .map(s -> "jobs/" + s.file().getFileName() + ": model: '" + s.model().get() + "' is not the model this "
                        + "server embeds with ('" + model + "'); remove the override or serve with "
                        + "--polyphony.embedding.model=" + s.model().get())
                .toList();
        if (!problems.isEmpty()) {
            throw new JobSpecs.InvalidJobSpecsException(problems);
        }
        for (JobSpec spec : specs) {
            if (!Files.isDirectory(spec.source())) {
                // a job watching a folder nothing has arrived in yet has nothing to do, not an error
                try {
                    Files.createDirectories(spec.source());
                    log.info("job {}: created its source folder {}", spec.name(), spec.source());
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("job " + spec.name() + ": source " + spec.source()
                            + " does not exist and cannot be created: " + e.getMessage(), e);
                }
            }
        }
        log.info("{} job spec(s) in {}: {}", specs.size(), dir, specs.stream().map(JobSpec::name).toList());
    }

    /** The configured folder, else {@code jobs/} beside the repository's {@code models/}, else ./jobs. */
    static Path jobsDir(Path configured, Path applicationHome) {
        if (configured != null) {
            return configured;
        }
        for (Path p = applicationHome.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("jobs")) && Files.isDirectory(p.resolve("models"))) {
                return p.resolve("jobs");
            }
        }
        return Path.of("jobs");
    }

    public List<JobSpec> specs() {
        return specs;
    }

    public Optional<JobSpec> spec(String name) {
        return specs.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** One scheduled tick: the execution it started, or empty when it was skipped (still running) or failed to start. */
    public Optional<Long> tick(JobSpec spec) {
        try {
            long id = runs.runSpec(spec).execution();
            log.info("job {}: scheduled run started (execution {})", spec.name(), id);
            return Optional.of(id);
        } catch (RunConflictException e) {
            log.info("job {}: tick skipped, execution {} is still running", spec.name(), e.running());
        } catch (RunsBusyException e) {
            log.warn("job {}: tick skipped, the run queue is full: {}", spec.name(), e.getMessage());
        } catch (Exception e) {
            log.error("job {}: scheduled run could not start: {}", spec.name(), e.getMessage());
        }
        return Optional.empty();
    }

    @Override
    public void start() {
        scheduler = new ThreadPoolTaskScheduler();
        scheduler.setThreadNamePrefix("jobs-");
        scheduler.initialize();
        for (JobSpec spec : specs) {
            spec.schedule().ifPresent(cron -> scheduler.schedule(() -> tick(spec), new CronTrigger(cron)));
        }
    }

    @Override
    public void stop() {
        if (scheduler != null) {
            scheduler.shutdown();
            scheduler = null;
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }
}
