package io.learnbridge.drop;

import io.learnbridge.support.Metrics;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.component.file.FileEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drop-folder policy made visible (route watch-drop-folders). A local source reads only files
 * whose name ends in {@code .csv} and does not start with a dot: a dot name is an upload in
 * progress ({@code .workers.csv.part}, renamed when complete), any other name is not a drop. A
 * file of either kind still there after {@code learnbridge.drops.unreadAfter} is an upload that
 * never finished or a file put in the wrong form: it is logged once (WARN, with its name, size and
 * age, and how to have it read) and counted by {@code learnbridge_drops_unread_files{route}}, so
 * nothing sits in a drop folder unread without a trace.
 */
public final class UnreadDropFiles {

    private static final Logger LOG = LoggerFactory.getLogger(UnreadDropFiles.class);

    /** A file of a drop folder that is never read, as reported. */
    public record Unread(String route, Path file, long size, Instant lastWritten) {
    }

    private final CamelContext context;
    private final Duration after;
    private final Clock clock;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final Metrics metrics;

    public UnreadDropFiles(CamelContext context, Metrics metrics, Duration after, Clock clock) {
        this.context = context;
        this.metrics = metrics;
        this.after = after;
        this.clock = clock;
    }

    /** Looks at every local drop folder; logs each unread file once and sets the gauges. Returns what is unread now. */
    public List<Unread> look() {
        Instant now = clock.instant();
        List<Unread> unread = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (Route route : context.getRoutes()) {
            if (!(route.getEndpoint() instanceof FileEndpoint endpoint)) {
                continue;
            }
            long count = 0;
            Path folder = endpoint.getFile().toPath();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
                for (Path file : files) {
                    String name = file.getFileName().toString();
                    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (attributes.isDirectory() || (isDrop(name))) {
                        continue;
                    }
                    Instant written = attributes.lastModifiedTime().toInstant();
                    if (written.plus(after).isAfter(now)) {
                        continue;
                    }
                    count++;
                    Unread u = new Unread(route.getRouteId(), file, attributes.size(), written);
                    unread.add(u);
                    String key = file + "@" + written.toEpochMilli() + "/" + attributes.size();
                    present.add(key);
                    if (reported.add(key)) {
                        LOG.warn("Drop folder {} (route {}) holds {} ({} bytes, last written {}), which is never read: {}",
                                folder, route.getRouteId(), name, attributes.size(), written, why(name));
                    }
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // the folder is created at the first poll
            } catch (IOException e) {
                LOG.warn("Drop folder {} (route {}) cannot be listed: {}", folder, route.getRouteId(), e.toString());
            }
            metrics.unreadFiles(route.getRouteId()).set(count);
        }
        reported.retainAll(present);
        return unread;
    }

    /** Whether a local source reads a file of this name (Kamelet learnbridge-drop-folder-source: {@code *.csv}, no dot name). */
    static boolean isDrop(String name) {
        return !name.startsWith(".") && name.toLowerCase(Locale.ROOT).endsWith(".csv");
    }

    static String why(String name) {
        if (name.startsWith(".")) {
            String csv = name.replaceFirst("^\\.+", "").replaceFirst("(?i)\\.(part|tmp|partial|filepart)$", "");
            return "a name starting with a dot is an upload in progress; if the upload is complete, rename it to "
                    + (isDrop(csv) ? csv : "a name ending in .csv") + " (or remove it)";
        }
        return "only names ending in .csv are drops; rename it if it is one (or remove it)";
    }
}
