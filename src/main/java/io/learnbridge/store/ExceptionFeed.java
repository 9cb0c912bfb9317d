package io.learnbridge.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the exception queue in order for a named feed, such as a Kafka dead-letter topic for
 * teams that operate from Kafka: {@link #next} returns the entries after the feed's cursor and
 * {@link #advance} moves the cursor once an entry is published. At least once: an entry published
 * just before a crash is published again.
 */
public final class ExceptionFeed {

    private final Store store;

    public ExceptionFeed(Store store) {
        this.store = store;
    }

    public List<ExceptionEntry> next(String feed, int max) {
        return store.tx(c -> {
            long after = 0;
            try (PreparedStatement ps = c.prepareStatement("select last_id from feed_cursor where name = ?")) {
                ps.setString(1, feed);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        after = rs.getLong(1);
                    }
                }
            }
            List<Long> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id from exception_record where id > ? order by id limit ?")) {
                ps.setLong(1, after);
                ps.setInt(2, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            List<ExceptionEntry> entries = new ArrayList<>(ids.size());
            for (long id : ids) {
                ExceptionQueue.get(c, id).ifPresent(entries::add);
            }
            return entries;
        });
    }

    /** Moves the feed's cursor to {@code id} (never backwards). */
    public void advance(String feed, long id) {
        store.tx(c -> {
            int updated;
            try (PreparedStatement ps = c.prepareStatement("update feed_cursor set last_id = ? where name = ? and last_id < ?")) {
                ps.setLong(1, id);
                ps.setString(2, feed);
                ps.setLong(3, id);
                updated = ps.executeUpdate();
            }
            if (updated == 0) {
                try (PreparedStatement ps = c.prepareStatement("""
                        insert into feed_cursor (name, last_id) select ?, ? from (select 1 as one) x
                        where not exists (select 1 from feed_cursor where name = ?)""")) {
                    ps.setString(1, feed);
                    ps.setLong(2, id);
                    ps.setString(3, feed);
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }
}
