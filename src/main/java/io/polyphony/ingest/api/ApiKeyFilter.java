package io.polyphony.ingest.api;

import io.polyphony.ingest.PolyphonyProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every request that changes state (anything but GET, HEAD, OPTIONS) needs {@code X-API-Key} when a key
 * is configured, and a key must be configured when the server listens beyond loopback: the server
 * refuses to start otherwise. Reads stay open to whoever can reach the port.
 */
@Component
@ConditionalOnWebApplication
class ApiKeyFilter extends OncePerRequestFilter {

    static final String HEADER = "X-API-Key";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    private final byte[] key;

    ApiKeyFilter(PolyphonyProperties props, @Value("${server.address:}") String address) {
        String k = props.apiKey() == null ? "" : props.apiKey().strip();
        if (k.isEmpty() && !loopback(address)) {
            throw new IllegalStateException("server.address is '" + (address.isBlank() ? "all interfaces" : address)
                    + "', beyond loopback: set an API key (polyphony.api-key or POLYPHONY_API_KEY) before serving there");
        }
        this.key = k.isEmpty() ? null : k.getBytes(StandardCharsets.UTF_8);
    }

    static boolean loopback(String address) {
        if (address == null || address.isBlank()) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (key == null || SAFE.contains(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        String given = request.getHeader(HEADER);
        if (given == null || !MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            response.setContentType("application/json");
            response.getWriter().write("{\"status\":401,\"error\":\"Unauthorized\",\"message\":\""
                    + (given == null ? "missing " : "wrong ") + HEADER + " header: this request changes state\"}");
            return;
        }
        chain.doFilter(request, response);
    }
}
