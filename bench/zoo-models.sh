# The image-output networks of the test zoo (test/e2e/models.py), sourced by
# the zoo benchmarks so they run the same list.
ZOO_MODELS="resnet18-trunk resnet50-trunk densenet121-features mobilenetv2-features mobilenetv3-small-features shufflenetv2-trunk efficientnet-b0-features regnety-400mf-trunk convnext-tiny-features convnextv2-blocks small-unet groupnorm-unet deeplabv3-mobilenetv3"
