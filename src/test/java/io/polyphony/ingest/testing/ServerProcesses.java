package io.polyphony.ingest.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

/** For tests that start {@code serve} from the packaged jar: waiting until a server answers. */
public final class ServerProcesses {

    private ServerProcesses() {
    }

    /** Waits (up to 120 s) until the server on {@code port} answers its health check; fails if its process ends. */
    public static void waitForHealth(HttpClient http, int port, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the server did not come up on port " + port);
    }
}
