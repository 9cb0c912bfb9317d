package io.learnbridge.mapping;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The text of every file under a mappings folder, by path relative to it
 * ({@code sources/hris.mapping.yaml}). The folder is a directory on disk or, with a
 * {@code classpath:} prefix, the copy packaged in the jar.
 */
public final class MappingFiles {

    private final String location;
    private final Map<String, String> files;

    private MappingFiles(String location, Map<String, String> files) {
        this.location = location;
        this.files = files;
    }

    public static MappingFiles of(String location, Map<String, String> files) {
        return new MappingFiles(location, new TreeMap<>(files));
    }

    public static MappingFiles load(String location) {
        try {
            if (location.startsWith("classpath:")) {
                return fromClasspath(location, location.substring("classpath:".length()));
            }
            String dir = location.startsWith("file:") ? location.substring("file:".length()) : location;
            return new MappingFiles(location, readDirectory(Path.of(dir)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read mappings from " + location + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> readDirectory(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a directory: " + root.toAbsolutePath());
        }
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                files.put(root.relativize(p).toString().replace('\\', '/'), Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    private static MappingFiles fromClasspath(String location, String folder) throws IOException {
        String base = folder.endsWith("/") ? folder : folder + "/";
        URL url = Thread.currentThread().getContextClassLoader().getResource(base);
        if (url == null) {
            url = MappingFiles.class.getClassLoader().getResource(base);
        }
        if (url == null) {
            throw new IOException("no folder " + base + " on the classpath");
        }
        if (url.getProtocol().equals("file")) {
            try {
                return new MappingFiles(location, readDirectory(Path.of(url.toURI())));
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Map<String, String> files = new TreeMap<>();
        JarURLConnection connection = (JarURLConnection) url.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (!entry.isDirectory() && entry.getName().startsWith(base)) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        files.put(entry.getName().substring(base.length()), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return new MappingFiles(location, files);
    }

    public String location() {
        return location;
    }

    /** Relative path to text, sorted by path. */
    public Map<String, String> files() {
        return files;
    }

    /** The path to show in messages: the location joined with the relative path. */
    public String displayPath(String relative) {
        String base = location.endsWith("/") ? location : location + "/";
        return base + relative;
    }
}
