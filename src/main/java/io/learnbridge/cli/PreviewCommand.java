package io.learnbridge.cli;

import io.learnbridge.support.SettingValues;
import io.learnbridge.support.Settings;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.drop.CsvDrop;
import io.learnbridge.drop.DropRows;
import io.learnbridge.drop.RowBatch;
import io.learnbridge.store.StagedRow;
import io.learnbridge.worker.CanonicalRecord;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code preview --source NAME --file F}: maps a drop as the bridge would and prints, as JSON
 * lines, each row's canonical record and target payloads, or its rejection with line and reason.
 * Sends and stores nothing.
 */
@Command(name = "preview", mixinStandardHelpOptions = true,
        description = "Print each row's canonical record and target payloads (or rejection) as JSON lines; sends nothing.")
final class PreviewCommand implements Callable<Integer> {

    @Option(names = "--source", required = true) String source;
    @Option(names = "--file", required = true) Path file;
    @Option(names = "--settings") Path settings;
    PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        SettingValues values = SettingValues.of(new CliSettings(settings));
        MappingCatalog catalog = MappingCatalog.compileStrict(MappingFiles.load(values.text("learnbridge.mappings.location")));
        MappingFile mapping = catalog.source(source);
        List<String> targets = Settings.targetsOf(values, source);
        int accepted = 0;
        int rejected = 0;
        try (CsvDrop drop = CsvDrop.open(file, file.getFileName().toString(), Instant.now(), mapping.csv(), values.integer("learnbridge.drops.batchSize"))) {
            SourceMapper mapper;
            try {
                mapper = SourceMapper.bindHeader(mapping, drop.header(), "the header of " + file.getFileName());
            } catch (MappingException e) {
                out.println(Json.write(java.util.Map.of("file", file.toString(), "rejected", e.describe())));
                return 1;
            }
            while (drop.hasNext()) {
                RowBatch batch = drop.next();
                for (StagedRow row : DropRows.map(mapper, batch)) {
                    ObjectNode line = Json.MAPPER.createObjectNode();
                    line.put("line", row.line());
                    if (row.accepted()) {
                        accepted++;
                        CanonicalRecord record = CanonicalRecord.fromJson(row.canonical());
                        line.set("canonical", record.toJsonNode());
                        ObjectNode payloads = line.putObject("targets");
                        for (String target : targets) {
                            MappingResult<ObjectNode> payload = catalog.target(target).map(record);
                            if (payload instanceof MappingResult.Accepted<ObjectNode> a) {
                                payloads.set(target, a.value());
                            } else {
                                payloads.putObject(target).put("rejected", ((MappingResult.Rejected<ObjectNode>) payload).rejection().describe());
                            }
                        }
                    } else {
                        rejected++;
                        line.putObject("rejected").put("field", row.field()).put("reason", row.reason());
                    }
                    out.println(Json.write(line));
                }
            }
        }
        System.err.println(accepted + " accepted, " + rejected + " rejected; nothing was sent");
        return 0;
    }
}
