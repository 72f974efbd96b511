#!/usr/bin/env bash
# The peer race: a generated corpus ingested by LangChain4j with ONNX Runtime (test scope only) and by
# polyphony-ingest, each a fresh process, --repeats times; prints the medians and their ratio.
#   scripts/bench-peer.sh [--files 40] [--repeats 3] [--warm-ups 1] [--jvm-options "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f target/polyphony-ingest.jar ]]; then
  mvn -B -q package -DskipTests
fi
mvn -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
exec java -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" io.polyphony.ingest.bench.PeerRace "$@"
