#!/usr/bin/env bash
# Builds the project and creates bin/gptoss. Needs Java 17+ and Maven 3.8+ (nothing else: the CUDA
# kernels are compiled at first use by NVRTC on GPU machines; the default model is embedded).
set -euo pipefail
# Plain text output: Maven 3.8 writes ANSI codes (ESC[0m) even in batch mode and with style.color=never,
# so they are stripped here.
mvn_plain() {
  mvn -B -q -ntp -Dstyle.color=never "$@" 2>&1 | sed "s/$(printf '\033')\[[0-9;]*[A-Za-z]//g"
}
cd "$(dirname "$0")"
mvn_plain install -DskipTests
rm -rf build/lib && mkdir -p build/lib
# The runtime classpath of the whole product, Spark included (it is "provided" on a cluster).
mvn_plain -pl examples dependency:copy-dependencies -DincludeScope=compile -DoutputDirectory="$(pwd)/build/lib"
cp examples/target/gptoss-examples-*.jar connector/target/gptoss-connector-*.jar \
   executor-runtime/target/gptoss-executor-runtime-*.jar native/target/gptoss-native-*.jar build/lib/
rm -f build/lib/*-sources.jar build/lib/*-tests.jar
mkdir -p bin
cp scripts/gptoss bin/gptoss
# Spark's GPU discovery script (spark.executor.resource.gpu.discoveryScript; docs/gpus.md).
cp scripts/gpu-discovery.sh bin/gpu-discovery.sh
chmod +x bin/gptoss bin/gpu-discovery.sh
echo "setup: built $(ls build/lib | wc -l) jars; run bin/gptoss --help"
