#!/bin/bash
# seislearn on a SLURM cluster: 2 machines x 4 GPUs, one task per GPU.
# Lightning reads the ranks from SLURM's environment (SLURMEnvironment): run the
# command with srun, and give --num-nodes and --devices equal to --nodes and
# --ntasks-per-node. Only rank 0 writes the run folder; it must be on a file
# system all nodes share, and so must SEISLEARN_SHARD_DIR (distributed predict).
#SBATCH --job-name=seislearn-azimuth
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --gres=gpu:4
#SBATCH --cpus-per-task=8
#SBATCH --time=12:00:00

set -euo pipefail
export SEISLEARN_SHARD_DIR="$PWD/.seislearn-shards"   # shared scratch for prediction shards
mkdir -p "$SEISLEARN_SHARD_DIR"

srun seislearn azimuth train --data /shared/archive/stead --out runs/az_stead \
    --accelerator gpu --devices 4 --num-nodes 2 --strategy ddp --precision bf16-mixed

srun seislearn azimuth predict --model runs/az_stead --data /shared/archive/new_picks \
    --out runs/az_stead_predict \
    --accelerator gpu --devices 4 --num-nodes 2 --strategy ddp
