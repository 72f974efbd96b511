package io.polyphony.ingest.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options, {@code --flag} switches and positional arguments, with clear errors. */
public record CliArgs(Map<String, String> values, Set<String> flags, List<String> positional) {

    public static CliArgs parse(List<String> args, List<String> valued, List<String> switches) {
        Map<String, String> values = new HashMap<>();
        Set<String> flags = new HashSet<>();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (valued.contains(name)) {
                if (a.contains("=")) {
                    values.put(name, a.substring(a.indexOf('=') + 1));
                } else if (i + 1 < args.size()) {
                    values.put(name, args.get(++i));
                } else {
                    throw new IllegalArgumentException(name + " needs a value");
                }
            } else if (switches.contains(a)) {
                flags.add(a);
            } else if (a.startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + a);
            } else {
                positional.add(a);
            }
        }
        return new CliArgs(values, flags, positional);
    }

    public String value(String name, String defaultValue) {
        return values.getOrDefault(name, defaultValue);
    }

    public int intValue(String name, int defaultValue) {
        String v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + v + "'");
        }
    }

    public boolean flag(String name) {
        return flags.contains(name);
    }
}
