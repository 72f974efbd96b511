package io.polyphony.ingest.roomindex;

import io.polyphony.ingest.Problem;
import io.polyphony.ingest.Reason;
import io.polyphony.ingest.embed.ModelInfo.IncompatibleModelException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * What an error met while reading or writing one room means for the file at hand: a room that holds another model's
 * vectors or another layout, a malformed value, a key of the wrong type or an index Redis would not create fails that
 * file ({@code room_error}), and anything else unexpected fails it as {@code internal}; the run goes on with the other
 * files and rooms. Only Redis being out of reach ({@link Retrying.RedisUnavailableException}) still stops the step, so
 * that the run resumes, whole, once Redis is back.
 */
public final class RoomFault {

    private RoomFault() {
    }

    /** The file's problem, or the exception again when it is Redis's absence rather than the room's fault. */
    public static Problem of(String room, RuntimeException e) {
        if (e instanceof Retrying.RedisUnavailableException) {
            throw e;
        }
        if (e instanceof IncompatibleModelException || e instanceof NumberFormatException
                || e instanceof JedisDataException || e instanceof IllegalStateException) {
            String m = String.valueOf(e.getMessage());
            return new Problem(Reason.ROOM_ERROR, (m.startsWith("room " + room) ? m : "room " + room + ": " + m)
                    + (e instanceof IncompatibleModelException ? "" : "; fix or delete the room (DELETE /api/rooms/"
                    + room + "), then ingest the file again"));
        }
        return new Problem(Reason.INTERNAL, "unexpected error with room " + room + ": " + e);
    }
}
