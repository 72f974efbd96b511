package io.polyphony.ingest.api;

import io.polyphony.ingest.job.RunHistory;
import io.polyphony.ingest.job.RunLauncher;
import io.polyphony.ingest.job.RunRecord;
import io.polyphony.ingest.schedule.DeclaredJobs;
import io.polyphony.ingest.schedule.JobSpec;
import java.net.URI;
import java.util.List;
import java.util.Map;
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

    private final RunLauncher launcher;
    private final RunHistory history;
    private final DeclaredJobs jobs;

    RunsController(RunLauncher launcher, RunHistory history, DeclaredJobs jobs) {
        this.launcher = launcher;
        this.history = history;
        this.jobs = jobs;
    }

    record JobView(String name, String source, String schedule) {
    }

    record Launched(long execution, long run, String status, String location) {

        static Launched of(RunRecord r) {
            return new Launched(r.execution(), r.run(), r.status(), "/api/runs/" + r.execution());
        }

        static ResponseEntity<Launched> accepted(RunRecord r) {
            Launched l = of(r);
            return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create(l.location())).body(l);
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
        return Launched.accepted(launcher.runSpec(spec));
    }

    @GetMapping("/runs/{id}")
    RunView run(@PathVariable long id) {
        return RunView.of(history.run(id), history.last(id), history.results(id), true);
    }

    @GetMapping("/runs")
    List<RunView> list(@RequestParam(required = false) String status, @RequestParam(defaultValue = "100") int limit) {
        return history.runs(status, Math.max(1, Math.min(limit, 1000))).stream()
                .map(r -> RunView.of(r, history.last(r.execution()), history.results(r.execution()), false)).toList();
    }

    /** Replays a failed, stopped or interrupted run from where it stopped. */
    @PostMapping("/runs/{id}/restart")
    ResponseEntity<Launched> restart(@PathVariable long id) throws Exception {
        return Launched.accepted(launcher.replay(id));
    }

    @PostMapping("/runs/failed/restart")
    ResponseEntity<Map<String, Object>> restartFailed() {
        List<Launched> started = launcher.replayFailed().stream().map(Launched::of).toList();
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(Map.of("restarted", started));
    }

    @PostMapping("/runs/{id}/stop")
    ResponseEntity<RunView> stop(@PathVariable long id) throws Exception {
        RunRecord stopping = launcher.stop(id);
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(RunView.of(stopping, history.last(id), history.results(id), false));
    }
}
