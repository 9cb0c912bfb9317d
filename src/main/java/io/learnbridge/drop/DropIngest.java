package io.learnbridge.drop;

import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.drop.DropRejectedException;
import io.learnbridge.support.Settings;
import io.learnbridge.drop.CsvDrop;
import io.learnbridge.drop.DropChecksum;
import io.learnbridge.store.DropClaim;
import io.learnbridge.store.DropLedger;
import io.learnbridge.store.StagedRow;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code drops}: the store side of a drop's journey. {@link #claim} claims the content once,
 * {@link #open} streams its rows in batches, {@link #stage} stages each mapped batch (one behind
 * the route, on the drop's own thread),
 * {@link #finish} turns it into deliveries, {@link #fail} records a drop that cannot be read.
 * The route moves the file only after {@code finish} or {@code fail} has committed.
 */
public final class DropIngest {

    private static final Logger LOG = LoggerFactory.getLogger(DropIngest.class);

    private final DropLedger ledger;
    private final DropPolicies policies;
    private final Mappings mappings;
    private final io.learnbridge.support.SettingValues values;
    private final Metrics metrics;
    private final int batchSize;
    private final java.time.Duration retention;
    /** The staging of each drop being read (between open and finish or fail). */
    private final java.util.Map<Long, StagingBehind> behind = new java.util.concurrent.ConcurrentHashMap<>();

    /** @param retention how long a settled drop keeps its rows' records ({@code learnbridge.drops.retention}) */
    public DropIngest(DropLedger ledger, Mappings mappings, io.learnbridge.support.SettingValues values, Metrics metrics, int batchSize,
                      java.time.Duration retention) {
        this.ledger = ledger;
        this.policies = new DropPolicies(values);
        this.mappings = mappings;
        this.values = values;
        this.metrics = metrics;
        this.batchSize = batchSize;
        this.retention = retention;
    }

    public DropClaim claim(Exchange exchange, @Variable("source") String source) throws IOException {
        String refused = exchange.getVariable(REFUSED, String.class);
        if (refused != null) {
            throw new DropRejectedException(null, refused);
        }
        Path file = localFile(exchange);
        String name = exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
        DropClaim claim = ledger.claim(source, name, DropChecksum.sha256(file), Files.size(file));
        if (claim.isDuplicate()) {
            LOG.info("Drop {} of source {} has the same content as drop {}: skipped", name, source, claim.duplicateOf());
            metrics.record(source, "duplicate-drop", 1);
        } else if (claim.applying()) {
            LOG.info("Drop {} of source {} is drop {}, planned and partly applied before a stop: applying the rest", name, source, claim.dropId());
        } else {
            LOG.info("Drop {} of source {} claimed as drop {}", name, source, claim.dropId());
        }
        return claim;
    }

    /**
     * Opens the drop and checks its header against the source mapping before any row is staged.
     * Its batches are then staged one behind the route ({@link StagingBehind}); however the
     * exchange ends, nothing of it is still being staged after.
     */
    public CsvDrop open(Exchange exchange, @Variable("drop") DropClaim claim) throws IOException {
        MappingFile mapping = mappings.get().source(claim.source());
        CsvDrop drop = CsvDrop.open(localFile(exchange), claim.fileName(), claim.claimedAt(), mapping.csv(), batchSize);
        try {
            if (!drop.header().isEmpty()) {
                SourceMapper.bindHeader(mapping, drop.header(), "the header of " + claim.fileName());
            } else {
                // no header at all (0 bytes, or only a byte order mark) is an export that failed: not "no changes today"
                // (a delta's header without rows), and never "everyone left" (a full snapshot's header without rows,
                // which the gate quarantines): approving it could only deactivate every worker
                throw new DropRejectedException(null, claim.fileName() + ": the file is empty (not even a header row): nothing was read;"
                        + " an export that failed? Put the whole file back into the drop folder");
            }
            StagingBehind staging = new StagingBehind(claim.dropId());
            behind.put(claim.dropId(), staging);
            exchange.getExchangeExtension().addOnCompletion(new org.apache.camel.support.SynchronizationAdapter() {
                @Override
                public void onDone(Exchange done) {
                    // finish or fail took it already; otherwise (the store failed mid-drop) it must end
                    // before the file can be picked up and claimed again
                    if (behind.remove(claim.dropId(), staging)) {
                        staging.abandon();
                    }
                }
            });
            return drop;
        } catch (MappingException e) {
            drop.close();
            throw new DropRejectedException(e.field(), e.describe());
        } catch (RuntimeException e) {
            drop.close();
            throw e;
        }
    }

    /** Hands a mapped batch to the drop's staging, which stages it while the route maps the next. */
    public void stage(List<StagedRow> rows, @Variable("drop") DropClaim claim) {
        List<String> targets = Settings.targetsOf(values, claim.source());
        Runnable stage = () -> {
            ledger.stage(claim, rows, policies.of(claim.source(), targets));
            long rejected = rows.stream().filter(r -> !r.accepted()).count();
            metrics.record(claim.source(), "accepted", (int) (rows.size() - rejected));
            metrics.record(claim.source(), "rejected", (int) rejected);
        };
        StagingBehind staging = behind.get(claim.dropId());
        if (staging == null) {
            stage.run();
        } else {
            staging.submit(stage);
        }
    }

    /** Waits for the drop's last batches to be staged, then plans, gates and applies it. */
    public DropLedger.Summary finish(@Variable("drop") DropClaim claim) {
        StagingBehind staging = behind.remove(claim.dropId());
        if (staging != null) {
            staging.finish();
        }
        List<String> targets = Settings.targetsOf(values, claim.source());
        DropLedger.Summary summary = ledger.finish(claim, targets, policies.of(claim.source(), targets));
        metrics.record(claim.source(), "conflict", summary.conflicts());
        metrics.record(claim.source(), "duplicate", summary.duplicates());
        metrics.record(claim.source(), "unchanged", summary.plan().unchanged());
        if (summary.warnings() > 0) {
            metrics.record(claim.source(), "warning", summary.warnings());
            LOG.warn("Drop {} ({}): {} changes carry a warning (e.g. a manager id that is not a known worker); 'plan {}' lists them",
                    claim.dropId(), claim.fileName(), summary.warnings(), claim.dropId());
        }
        if (summary.quarantined()) {
            metrics.record(claim.source(), "quarantined-drop", 1);
            LOG.warn("QUARANTINED drop {} ({}) of source {}: {}. Nothing is applied until an operator approves it: "
                    + "'plan {}' shows what it would do; 'drops approve {} --checksum {}' applies it, 'drops reject' discards it",
                    claim.dropId(), claim.fileName(), claim.source(), String.join("; ", summary.gateReasons()), claim.dropId(), claim.dropId(),
                    claim.checksum());
            return summary;
        }
        metrics.record(claim.source(), "superseded", summary.superseded());
        LOG.info("Drop {} ({}) applied: {} accepted ({} joins, {} moves, {} updates, {} leaves, {} unchanged), {} repeats, {} conflicting, "
                        + "{} superseded by newer changes, {} deliveries queued",
                claim.dropId(), claim.fileName(), summary.accepted(), summary.plan().joins(), summary.plan().moves(), summary.plan().updates(),
                summary.plan().leaves(), summary.plan().unchanged(), summary.duplicates(), summary.conflicts(), summary.superseded(),
                summary.deliveries());
        return summary;
    }

    public void fail(Exchange exchange, @Variable("drop") DropClaim claim, @Variable("source") String source) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String field = cause instanceof DropRejectedException r ? r.field() : null;
        String reason = cause == null ? "drop failed" : cause.getMessage();
        if (claim == null) {
            // refused before it was claimed (a symbolic link): queued under its name, with no drop
            String name = exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
            ledger.refuse(source, name, field, reason);
            metrics.record(source, "failed-drop", 1);
            LOG.warn("Drop file {} of source {} is refused and moves to the failed folder: {}", name, source, reason);
            return;
        }
        StagingBehind staging = behind.remove(claim.dropId());
        if (staging != null) {
            staging.abandon();
        }
        ledger.fail(claim, field, reason);
        metrics.record(claim.source(), "failed-drop", 1);
        LOG.warn("Drop {} ({}) failed and moves to the failed folder: {}", claim.dropId(), claim.fileName(), reason);
    }

    /** The notification of a quarantined drop (route drop-quarantined-alert). */
    public String alert(@Variable("drop") DropClaim claim, Exchange exchange) {
        DropLedger.Summary summary = exchange.getIn().getBody(DropLedger.Summary.class);
        com.fasterxml.jackson.databind.node.ObjectNode node = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        node.put("event", "drop.quarantined");
        node.put("dropId", claim.dropId());
        node.put("source", claim.source());
        node.put("file", claim.fileName());
        node.put("checksum", claim.checksum());
        if (summary != null) {
            node.putPOJO("reasons", summary.gateReasons());
            node.put("joins", summary.plan().joins());
            node.put("moves", summary.plan().moves());
            node.put("updates", summary.plan().updates());
            node.put("leaves", summary.plan().leaves());
            node.put("activeWorkers", summary.plan().population());
        }
        return node.toString();
    }

    /**
     * Releases held changes whose effective time has come, finishes applying drops whose applier
     * stopped half-way with no file left to claim them again, and compacts the oldest settled drop
     * past its retention (route release-held-changes).
     */
    public int releaseDue() {
        int resumed = ledger.resumeAbandoned(source -> Settings.targetsOf(values, source));
        if (resumed > 0) {
            LOG.info("Finished applying {} drops whose applier stopped half-way", resumed);
        }
        int released = ledger.releaseDue(source -> Settings.targetsOf(values, source), 500);
        Long pruned = ledger.prune(retention);
        if (pruned != null) {
            LOG.info("Drop {} is past its retention ({}): its rows now keep only what the audit trail needs", pruned, retention);
        }
        if (released > 0) {
            LOG.info("Released {} held changes whose effective time has come", released);
        }
        metrics.held(ledger.held());
        return released;
    }

    /**
     * Compacts every settled drop past its retention now, instead of one per run of route
     * release-held-changes; returns how many. For benchmarks that age the ledger between simulated days.
     */
    public int pruneAllDue() {
        int pruned = 0;
        while (ledger.prune(retention) != null) {
            pruned++;
        }
        return pruned;
    }

    /** Header of the drop's private work file (a hard link of a local drop, the download of a remote one). */
    static final String WORK_PATH = "CamelFileLocalWorkPath";
    /** The folder of a drop folder that holds the work files of drops being read. */
    static final String IN_PROGRESS = ".inprogress";
    /** Variable holding why a taken file is refused before it is claimed (a symbolic link). */
    static final String REFUSED = "dropRefused";

    /**
     * Takes a local drop for reading (Kamelet learnbridge-drop-folder-source): a hard link of the file under
     * {@code .inprogress/}, from which the drop is checksummed, read and archived. A file replaced
     * under the same name meanwhile (an HR system writing tonight's {@code workers.csv} over the
     * one being read) is another file: it stays in the folder and becomes its own drop, instead of
     * being archived in place of the bytes that were read. Where the filesystem has no hard links,
     * a copy is taken instead.
     */
    public void take(Exchange exchange) throws IOException {
        Path original = Path.of(exchange.getIn().getHeader(Exchange.FILE_PATH, String.class));
        Path folder = Files.createDirectories(original.resolveSibling(IN_PROGRESS));
        sweep(folder);
        Path work = folder.resolve(original.getFileName() + "." + System.nanoTime());
        working.add(work);
        if (Files.isSymbolicLink(original)) {
            // a link may point anywhere the bridge can read (another source's folder, a file of the host): it is never
            // followed; the link itself is what is archived to the failed folder
            String to = Files.readSymbolicLink(original).toString();
            Files.move(original, work, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            exchange.getIn().setHeader(WORK_PATH, work.toString());
            // refused by claim, inside route ingest-drop, whose error policy records it and archives the link
            exchange.setVariable(REFUSED, original.getFileName() + ": is a symbolic link (to " + to
                    + "); links are never followed in a drop folder: the link moves to the failed folder, nothing was read."
                    + " Copy or move the file itself into the folder");
            return;
        }
        try {
            Files.createLink(work, original);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(original, work, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        exchange.getIn().setHeader(WORK_PATH, work.toString());
    }

    /**
     * Archives a local drop that was read (claimed, staged, quarantined, a duplicate, or refused as
     * a whole): its work file goes to the folder the route chose ({@code dropFolder}: .done,
     * .duplicate, .quarantined, .failed) as {@code <name>.<drop id>.<ext>}, and the file at the
     * drop's name goes only if it still holds those bytes. A replacement stays for the next poll.
     */
    void archive(Exchange exchange) throws IOException {
        Path original = Path.of(exchange.getIn().getHeader(Exchange.FILE_PATH, String.class));
        String workPath = exchange.getIn().getHeader(WORK_PATH, String.class);
        if (workPath == null) {
            return;
        }
        Path work = Path.of(workPath);
        String folder = exchange.getVariable("dropFolder", ".done", String.class);
        DropClaim drop = exchange.getVariable("drop", DropClaim.class);
        String name = original.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String id = drop != null ? String.valueOf(drop.dropId()) : "t" + System.currentTimeMillis();
        Path archived = Files.createDirectories(original.resolveSibling(folder))
                .resolve(dot < 0 ? name + "." + id : name.substring(0, dot) + "." + id + name.substring(dot));
        Files.move(work, archived, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // the name is taken out of the folder first (one rename), then looked at: a replacement written in
        // between is never deleted, and goes back under its name (or beside it, if yet another file took it)
        Path check = work.resolveSibling(work.getFileName() + ".check");
        try {
            Files.move(original, check);
        } catch (java.nio.file.NoSuchFileException gone) {
            return;
        }
        if (sameBytes(check, archived)) {
            Files.delete(check);
            return;
        }
        LOG.info("Drop file {} was replaced while drop {} was read: the new file stays in the folder and is read as its own drop", name, id);
        try {
            Files.move(check, original);
        } catch (java.nio.file.FileAlreadyExistsException taken) {
            Files.move(check, original.resolveSibling(dot < 0 ? name + ".replaced-" + System.nanoTime()
                    : name.substring(0, dot) + ".replaced-" + System.nanoTime() + name.substring(dot)));
        }
    }

    /**
     * The end of a local drop's reading, whatever happened: archived ({@link #archive}) when every
     * row is accounted for in the store (variable {@code dropSettled}); otherwise (the store is down)
     * only its work file goes, and the file stays where it is for the next poll.
     */
    public void settle(Exchange exchange) throws IOException {
        String workPath = exchange.getIn().getHeader(WORK_PATH, String.class);
        try {
            if (exchange.getVariable("dropSettled", false, Boolean.class)) {
                archive(exchange);
                return;
            }
            if (workPath != null) {
                Files.deleteIfExists(Path.of(workPath));
            }
        } finally {
            if (workPath != null) {
                working.remove(Path.of(workPath));
            }
        }
    }

    /** Work files of drops this bridge is reading now. */
    private final java.util.Set<Path> working = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Removes the work files a bridge killed while reading left under {@code .inprogress/}: the drop's
     * own file is still in the folder and is read again; the stale link would otherwise keep its
     * bytes on disk for ever. Only this bridge reads its drop folders (one poller per folder).
     */
    private void sweep(Path folder) throws IOException {
        try (var entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                if (!working.contains(entry) && (Files.isRegularFile(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(entry))) {
                    LOG.info("Removing {}, the work file of a drop read by a bridge that stopped before it finished (the drop's file is read again)", entry);
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    private static boolean sameBytes(Path a, Path b) throws IOException {
        try {
            if (Files.isSameFile(a, b)) {
                return true;
            }
        } catch (IOException e) {
            // compared by content below
        }
        return Files.size(a) == Files.size(b) && DropChecksum.sha256(a).equals(DropChecksum.sha256(b));
    }

    /** The drop as a local file: the consumed file, or the local work copy of a remote one. */
    private static Path localFile(Exchange exchange) {
        String work = exchange.getIn().getHeader(WORK_PATH, String.class);
        if (work != null) {
            return Path.of(work);
        }
        File file = exchange.getIn().getBody(File.class);
        if (file == null) {
            throw new IllegalStateException("drop body is not a file; SFTP sources need localWorkDirectory so drops are streamed from disk");
        }
        return file.toPath();
    }
}
