"""The image contract every network in the book keeps, defined once: MNIST form in, ten out.

A network reads float32 images of shape (N, SIDE, SIDE, 1): white ink on black, each pixel's
0-PIXEL_MAX value scaled to [0, 1] (``digitlib.preprocess.to_model_input``). It returns
NUM_CLASSES probabilities per image, one per digit. Chapter 2 shows the form and why it is so.
"""

#: Images are SIDE x SIDE pixels, as MNIST's are.
SIDE = 28
#: One image as a network reads it (rows, columns, one grey channel).
INPUT_SHAPE = (SIDE, SIDE, 1)
#: The digits 0 to 9.
NUM_CLASSES = 10
#: The largest uint8 pixel value, full ink. Networks read pixel / PIXEL_MAX.
PIXEL_MAX = 255.0
