#!/bin/bash
# Stages what scripts/gpu-check.sh needs into .gpu/ (run from the project root after
# ../shared/device/pack.sh executor-runtime): test classes, the golden fixtures, the reference
# scripts, and the check script itself. Optionally copies the result to DEST/.gpu.
set -euo pipefail
G=.gpu
mvn -q -B -o -pl executor-runtime -am test-compile
# pack.sh resolves the kernel jar from ~/.m2, which may hold an older build: use this tree's.
mvn -q -B -o -pl native package -DskipTests
for j in native/target/gptoss-native-*.jar; do cp "$j" "$G/lib/$(basename "$j")"; done
rm -f $G/lib/gptoss-tests.jar
jar cf $G/lib/gptoss-tests.jar -C executor-runtime/target/test-classes ai -C executor-runtime/target/test-classes structured
# StructuredOutputCheck validates answers with networknt's json-schema-validator (a test dependency).
mvn -q -B -o -pl executor-runtime dependency:copy-dependencies -DincludeScope=test \
  -DincludeArtifactIds=json-schema-validator,itu,slf4j-api -DoutputDirectory="$(pwd)/$G/lib"
rm -rf $G/golden $G/ref && mkdir -p $G/golden $G/ref
cp -r executor-runtime/src/test/resources/golden/tiny-a executor-runtime/src/test/resources/golden/tiny-a.golden.json \
  executor-runtime/src/test/resources/golden/tiny-qa.eval.json \
  executor-runtime/src/test/resources/golden/tiny-b executor-runtime/src/test/resources/golden/tiny-b.golden.json $G/golden/
cp ../shared/device/reference_fixture.py ../shared/device/hf_baseline.py $G/ref/ 2>/dev/null \
  || cp /work/shared/device/reference_fixture.py /work/shared/device/hf_baseline.py $G/ref/
cp scripts/gpu-check.sh scripts/gpu-ceilings.py scripts/gpu-throughput.sh $G/
du -sh $G
if [ $# -ge 1 ]; then rm -rf "$1/.gpu"; cp -a $G "$1/.gpu"; echo "staged into $1/.gpu"; fi
