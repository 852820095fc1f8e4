#!/bin/bash
# Databricks cluster init script: puts the gptoss connector jar on every node's classpath before Spark
# starts (spark.sql.extensions and spark.plugins are loaded at cluster start, before cluster libraries
# attach). Upload the jar and this script to a volume, set GPTOSS_JAR below to the jar's path, and add the
# script under Compute > your cluster > Advanced options > Init scripts.
set -euo pipefail
GPTOSS_JAR="${GPTOSS_JAR:-/Volumes/main/default/gptoss/gptoss-spark_2.13-0.1.0-SNAPSHOT.jar}"
cp "$GPTOSS_JAR" /databricks/jars/
