package io.polyphony.ingest.api;

import io.polyphony.ingest.budget.DiskBudget;
import io.polyphony.ingest.job.IngestRuns.NoSuchRunException;
import io.polyphony.ingest.job.IngestRuns.RunConflictException;
import io.polyphony.ingest.job.RunQueue.RunsBusyException;
import io.polyphony.ingest.roomindex.Retrying.RedisUnavailableException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;

/** Errors as JSON a user can read: {@code {"status": 409, "error": "...", "message": "..."}}. */
@RestControllerAdvice
@ConditionalOnWebApplication
class ApiErrors {

    static final class NotFoundException extends RuntimeException {
        NotFoundException(String message) {
            super(message);
        }
    }

    static final class UnsupportedTypeException extends RuntimeException {
        UnsupportedTypeException(String message) {
            super(message);
        }
    }

    static ResponseEntity<Map<String, Object>> body(HttpStatus status, String message) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("status", status.value());
        b.put("error", status.getReasonPhrase());
        b.put("message", message);
        return ResponseEntity.status(status).body(b);
    }

    @ExceptionHandler({NotFoundException.class, NoSuchRunException.class})
    ResponseEntity<Map<String, Object>> notFound(RuntimeException e) {
        return body(HttpStatus.NOT_FOUND, e.getMessage());
    }

    @ExceptionHandler(RunConflictException.class)
    ResponseEntity<Map<String, Object>> conflict(RunConflictException e) {
        ResponseEntity<Map<String, Object>> r = body(HttpStatus.CONFLICT, e.getMessage());
        r.getBody().put("running", e.running());
        return r;
    }

    @ExceptionHandler(IllegalStateException.class)
    ResponseEntity<Map<String, Object>> state(IllegalStateException e) {
        return body(HttpStatus.CONFLICT, e.getMessage());
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<Map<String, Object>> badRequest(IllegalArgumentException e) {
        return body(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler(UnsupportedTypeException.class)
    ResponseEntity<Map<String, Object>> unsupported(UnsupportedTypeException e) {
        return body(HttpStatus.UNSUPPORTED_MEDIA_TYPE, e.getMessage());
    }

    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<Map<String, Object>> tooLarge(MaxUploadSizeExceededException e) {
        return body(HttpStatus.CONTENT_TOO_LARGE, "rejected: file over the 10 MiB upload limit");
    }

    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Map<String, Object>> multipart(MultipartException e) {
        return body(HttpStatus.BAD_REQUEST, "expected a multipart/form-data body with a field 'file': " + e.getMessage());
    }

    /** Over this server's workers and backlog: 429, with when to try again. */
    @ExceptionHandler(RunsBusyException.class)
    ResponseEntity<Map<String, Object>> busy(RunsBusyException e) {
        ResponseEntity<Map<String, Object>> r = body(HttpStatus.TOO_MANY_REQUESTS, e.getMessage());
        return ResponseEntity.status(r.getStatusCode()).header("Retry-After", Integer.toString(e.retryAfterSeconds()))
                .body(r.getBody());
    }

    @ExceptionHandler(DiskBudget.InsufficientStorageException.class)
    ResponseEntity<Map<String, Object>> disk(DiskBudget.InsufficientStorageException e) {
        return body(HttpStatus.INSUFFICIENT_STORAGE, e.getMessage());
    }

    @ExceptionHandler(RedisUnavailableException.class)
    ResponseEntity<Map<String, Object>> redis(RedisUnavailableException e) {
        return body(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
    }
}
