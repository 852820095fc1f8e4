#!/usr/bin/env bash
# Runs the JMH micro-benchmarks of the executor runtime's test sources (host-side code; GPU figures come
# from scripts/gpu-check.sh). Arguments go to JMH: scripts/jmh.sh SchedulerBenchmark -p seqs=1024
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -o -pl executor-runtime -am test-compile -DskipTests 2>/dev/null || mvn -q -B -pl executor-runtime -am test-compile -DskipTests
CP=$(mvn -q -B -o -pl executor-runtime dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
exec java --add-modules jdk.incubator.vector -cp "executor-runtime/target/test-classes:executor-runtime/target/classes:$CP" \
  org.openjdk.jmh.Main "${@:-SchedulerBenchmark}"
