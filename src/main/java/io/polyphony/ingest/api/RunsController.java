package io.polyphony.ingest.api;

import io.polyphony.ingest.job.IngestRuns;
import io.polyphony.ingest.schedule.DeclaredJobs;
import io.polyphony.ingest.schedule.JobSpec;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The job launcher: declared jobs' runs, their status and per-file outcomes, restart, replay and stop. */
@RestController
@ConditionalOnWebApplication
@RequestMapping("/api")
class RunsController {

    private final IngestRuns runs;
    private final DeclaredJobs jobs;

    RunsController(IngestRuns runs, DeclaredJobs jobs) {
        this.runs = runs;
        this.jobs = jobs;
    }

    record JobView(String name, String source, String schedule) {
    }

    record Launched(long execution, long run, String status, String location) {

        static ResponseEntity<Launched> accepted(JobExecution e) {
            String location = "/api/runs/" + e.getId();
            return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create(location))
                    .body(new Launched(e.getId(), e.getJobInstance().getId(), e.getStatus().name(), location));
        }
    }

    @GetMapping("/jobs")
    List<JobView> jobs() {
        return jobs.specs().stream().map(s -> new JobView(s.name(), s.source().toString(), s.schedule().orElse(null))).toList();
    }

    /** 202 with the execution; 404 for a job not declared in jobs/; 409 while the job is running. */
    @PostMapping("/jobs/{name}/runs")
    ResponseEntity<Launched> launch(@PathVariable String name) throws Exception {
        JobSpec spec = jobs.spec(name).orElseThrow(() -> new ApiErrors.NotFoundException(
                "no job '" + name + "' in jobs/ (declared: " + jobs.specs().stream().map(JobSpec::name).toList() + ")"));
        return Launched.accepted(runs.runSpec(spec));
    }

    @GetMapping("/runs/{id}")
    RunView run(@PathVariable long id) {
        return RunView.of(runs.execution(id), runs, true);
    }

    @GetMapping("/runs")
    List<RunView> list(@RequestParam(required = false) String status, @RequestParam(defaultValue = "100") int limit) {
        BatchStatus s = null;
        if (status != null) {
            try {
                s = BatchStatus.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown status '" + status + "': one of "
                        + List.of(BatchStatus.values()));
            }
        }
        return runs.executions(s, Math.max(1, Math.min(limit, 1000))).stream().map(e -> RunView.of(e, runs, false)).toList();
    }

    /** Replays a failed, stopped or interrupted run from where it stopped. */
    @PostMapping("/runs/{id}/restart")
    ResponseEntity<Launched> restart(@PathVariable long id) {
        return Launched.accepted(runs.replay(id));
    }

    @PostMapping("/runs/failed/restart")
    ResponseEntity<Map<String, Object>> restartFailed() {
        List<Launched> started = runs.replayFailed().stream()
                .map(e -> new Launched(e.getId(), e.getJobInstance().getId(), e.getStatus().name(), "/api/runs/" + e.getId()))
                .toList();
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(Map.of("restarted", started));
    }

    @PostMapping("/runs/{id}/stop")
    ResponseEntity<RunView> stop(@PathVariable long id) throws Exception {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(RunView.of(runs.stop(id), runs, false));
    }
}
