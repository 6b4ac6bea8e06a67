#!/usr/bin/env bash
# Generates the second-tune background data/background_chan3_a14.csv.gz (ATLAS A14, Tune:pp = 21):
# PLAN's background processes, time-boxed like the first sample (QCD multijet's box 2.5x the
# others', as the first sample's njets ran at --budget-scale 2.5) but with the boxes scaled to
# give about one third of the first sample's events on this machine (1.5-2.7x more generated events per second
# than the first sample's runs, by process): small backgrounds --budget-scale 0.16, njets 0.40;
# one process, one core, ~13 min; then the merge into data/.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
rm -rf work/a14
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
filter() { grep --line-buffered -v -E '^ *$|PYTHIA (Warning|Error)|^ \*|^ -|^ \|'; }
{
  date -u +"start %FT%TZ"
  nice -n 15 .venv/bin/python generate.py --tune a14 --all --seed 20261122 --only ttbar,w_jets,z_jets,gam_jets,single_top,diboson --budget-scale 0.16 2>&1 | filter
  nice -n 15 .venv/bin/python generate.py --tune a14 --all --seed 20261122 --only njets --budget-scale 0.40 2>&1 | filter
  date -u +"end %FT%TZ"
} | tee generate_a14.log
