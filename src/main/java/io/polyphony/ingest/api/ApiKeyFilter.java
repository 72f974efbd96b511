package io.polyphony.ingest.api;

import io.polyphony.ingest.PolyphonyProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * With a key configured (it must be when the server listens beyond loopback: the server refuses to start otherwise)
 * every {@code /api/**} request needs it in {@code X-API-Key}, reads included, and so does
 * {@code /actuator/prometheus}; {@code /actuator/health} answers everyone, but only a request with the key (or any
 * request when no key is configured) sees the details. Without a key configured, everything is open on loopback.
 */
@Component
@ConditionalOnWebApplication
class ApiKeyFilter extends OncePerRequestFilter {

    static final String HEADER = "X-API-Key";

    /** The principal of a request that showed the key: health details are shown to it ({@code when-authorized}). */
    private static final Principal KEY_HOLDER = () -> "api-key";

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

    /** Paths that need the key when one is configured. */
    static boolean guarded(String path) {
        return path.equals("/api") || path.startsWith("/api/") || path.startsWith("/actuator/prometheus");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String given = request.getHeader(HEADER);
        boolean holder = key == null || (given != null && MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8)));
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (!holder && guarded(path) && !request.getMethod().equals("OPTIONS")) {
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            response.setContentType("application/json");
            response.getWriter().write("{\"status\":401,\"error\":\"Unauthorized\",\"message\":\""
                    + (given == null ? "missing " : "wrong ") + HEADER + " header: this server needs its API key for "
                    + (path.startsWith("/api") ? "/api/**" : path) + "\"}");
            return;
        }
        chain.doFilter(holder ? new HttpServletRequestWrapper(request) {
            @Override
            public Principal getUserPrincipal() {
                return KEY_HOLDER;
            }
        } : request, response);
    }
}
