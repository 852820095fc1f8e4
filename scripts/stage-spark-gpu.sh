#!/bin/bash
# Stages the Spark-on-GPU run (scripts/gpu-spark-check.sh) from a checkout with ./setup.sh done:
#   .gpu-rt/rt   what does not change between runs: a jlinked Java 17 runtime with the modules Spark
#                needs, and every third-party jar of the product's runtime classpath (Spark, Scala,
#                Hadoop, JavaCPP, ...), less RocksDB and other platforms' natives (~200 MB). Too large for
#                one device call: ../shared/device/parts.sh split .gpu-rt/rt cuts it into parts.
#   .gpu/spark   what does: the project's own jars (and the executor-runtime test classes, for
#                LoadSpeedCheck's checkpoint writer) and the discovery script; carried on every call.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build/lib ] || { echo "run ./setup.sh first" >&2; exit 2; }
ex="$(git rev-parse --git-common-dir)/info/exclude"
for d in /.gpu/ /.gpu-rt/; do grep -qxF "$d" "$ex" 2>/dev/null || echo "$d" >> "$ex"; done
if [ "${1:-}" != --own-only ]; then
  rm -rf .gpu-rt && mkdir -p .gpu-rt/rt/lib
  for j in build/lib/*.jar; do
    case "$(basename "$j")" in
      gptoss-*|rocksdbjni-*|*-osx-*|*-windows-*|*aarch_64*|*riscv64*|*-linux-arm64*|*ppc64le*) ;;
      *) cp "$j" .gpu-rt/rt/lib/ ;;
    esac
  done
  jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,java.naming,java.sql,java.xml,java.desktop,java.security.jgss,jdk.security.auth,jdk.management,java.instrument,java.rmi,java.net.http,java.scripting,java.compiler,jdk.incubator.vector,jdk.crypto.ec,jdk.zipfs \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output .gpu-rt/rt/jre
  du -sh .gpu-rt/rt/jre .gpu-rt/rt/lib
fi
rm -rf .gpu/spark && mkdir -p .gpu/spark/lib
cp build/lib/gptoss-*.jar .gpu/spark/lib/
git rev-parse --short HEAD > .gpu/spark/COMMIT   # the device copy's .git is not this checkout's
mvn -q -B -o -pl executor-runtime -am test-compile
jar cf .gpu/spark/lib/gptoss-tests.jar -C executor-runtime/target/test-classes ai
du -sh .gpu/spark
