#!/bin/sh
# A trial without any SDK: it prints its metrics as "[dlkit] KIND: VALUE" lines.
echo "epoch 1 loss: 0.9"
echo "[dlkit] accuracy: 0.99"
echo "[dlkit] intermediate_result: 0.25"
echo "[dlkit] loss: 0.75"
echo "[dlkit] intermediate_result: 0.375"
echo "[dlkit] loss: 0.625"
echo "[dlkit] final_result: 0.5"
echo "finished"
