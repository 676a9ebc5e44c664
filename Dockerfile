# The image workflow/profiles/kubernetes names: the project's pinned .venv (scripts/setup.sh) and the
# synthetic demo generated at /data/demo (the dataset is read on every node, never copied to storage).
#   docker build -t <registry>/wsss-pipeline:0.1.0 . && docker push <registry>/wsss-pipeline:0.1.0
# Run with --container-image <registry>/wsss-pipeline:0.1.0 and a config file setting demo.root: /data/demo
# (VOC: a persistent volume at voc12.root instead). Not built in this repository's CI: no Docker engine there.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ git && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/wsss-pipeline
COPY . .
ENV WSSS_SKIP_SLURM=1
RUN bash scripts/setup.sh \
 && .venv/bin/python -m stages.demo_data --out /data/demo --n-train 200 --n-val 50 --size 192 --seed 0 \
      --marker /data/demo/.complete
ENV PATH=/opt/wsss-pipeline/.venv/bin:$PATH
