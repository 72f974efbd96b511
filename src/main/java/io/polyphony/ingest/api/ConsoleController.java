package io.polyphony.ingest.api;

import io.polyphony.ingest.PolyphonyProperties;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What the operator's console ({@code /}, static files under {@code static/}) needs beyond the rest of the API: the
 * last hour of memory and throughput, and the settings it explains numbers with. Behind the API key like all of
 * {@code /api/**}.
 */
@RestController
@ConditionalOnWebApplication
class ConsoleController {

    private final ConsoleHistory history;
    private final PolyphonyProperties props;

    ConsoleController(ConsoleHistory history, PolyphonyProperties props) {
        this.history = history;
        this.props = props;
    }

    @GetMapping("/api/console")
    Map<String, Object> console() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("history", history.points());
        body.put("sampleSeconds", ConsoleHistory.EVERY.toSeconds());
        body.put("inactiveAfterSeconds", props.budget().inactiveAfter().toSeconds());
        body.put("maxFileBytes", props.ingest().maxFileBytes());
        body.put("maxChunksPerRoom", props.budget().maxChunksPerRoom());
        return body;
    }
}
