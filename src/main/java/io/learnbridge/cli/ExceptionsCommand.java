package io.learnbridge.cli;

import io.learnbridge.exception.Replayer;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code exceptions list | show ID | replay ID | replay --drop ID | replay --target NAME}. */
@Command(name = "exceptions", mixinStandardHelpOptions = true, description = "Work the exception queue.",
        subcommands = {ExceptionsCommand.ListCommand.class, ExceptionsCommand.ShowCommand.class, ExceptionsCommand.ReplayCommand.class})
final class ExceptionsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println("use: exceptions list | show ID | replay ID | replay --drop ID | replay --target NAME");
        return 2;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List exceptions (open ones by default), one line each.")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Option(names = "--status", description = "OPEN (default), REPLAYED or ALL") String status = "OPEN";
        @Option(names = "--drop") Long drop;
        @Option(names = "--target") String target;
        @Option(names = "--source") String source;
        @Option(names = "--worker", description = "Only the entries that name this worker id") String worker;
        @Option(names = "--limit") int limit = 100;
        PrintStream out = System.out;

        @Override
        public Integer call() {
            try (CliStore cli = new CliStore(settings)) {
                ExceptionEntry.Status s = status.equalsIgnoreCase("ALL") ? null : ExceptionEntry.Status.valueOf(status.toUpperCase(Locale.ROOT));
                List<ExceptionEntry> entries = cli.exceptions().list(new ExceptionQueue.Filter(s, drop, target, source, worker, limit));
                for (ExceptionEntry e : entries) {
                    out.printf("%d  %-8s %-8s %s%s  %s%n", e.id(), e.kind(), e.status(), e.where(),
                            e.workerId() == null ? "" : " worker " + e.workerId(), e.reason());
                }
                out.println(entries.size() + " exception(s)");
                return 0;
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one exception with its context and stored source record.")
    static final class ShowCommand implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Parameters(index = "0") long id;

        @Override
        public Integer call() {
            try (CliStore cli = new CliStore(settings)) {
                return cli.exceptions().get(id).map(e -> {
                    System.out.println(Json.pretty(e));
                    return 0;
                }).orElseGet(() -> {
                    System.out.println("no exception " + id);
                    return 1;
                });
            }
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Re-map stored records with the current mappings and queue them again: one ID, or all open ones of a drop or target.")
    static final class ReplayCommand implements Callable<Integer> {
        @Option(names = "--settings") Path settings;
        @Parameters(index = "0", arity = "0..1") Long id;
        @Option(names = "--drop") Long drop;
        @Option(names = "--target") String target;
        PrintStream out = System.out;

        @Override
        public Integer call() {
            if ((id == null) == (drop == null && target == null)) {
                out.println("give one exception ID, or --drop ID and/or --target NAME");
                return 2;
            }
            try (CliStore cli = new CliStore(settings)) {
                Replayer replayer = cli.replayer();
                List<Replayer.Outcome> outcomes = id != null ? List.of(replayer.replay(id))
                        : replayer.replayAll(new ExceptionQueue.Filter(ExceptionEntry.Status.OPEN, drop, target, null, null, 100_000));
                outcomes.forEach(o -> out.println(o.id() + "  " + (o.replayed() ? "replayed" : "not replayed") + ": " + o.message()));
                long failed = outcomes.stream().filter(o -> !o.replayed()).count();
                out.println((outcomes.size() - failed) + " replayed, " + failed + " not replayed");
                return failed == 0 ? 0 : 1;
            }
        }
    }
}
