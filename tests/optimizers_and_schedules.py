"""The schedule and optimizer ids of the contract, written out independently of the registries."""
ALL_OPTIMIZERS = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "amsgrad", "yogi", "radam",
                  "adabelief", "lookahead"}
ALL_SCHEDULES = {
    "constant", "step", "multistep", "linear", "plateau", "exponential", "natural_exp", "polynomial", "inverse_time",
    "inverse_sqrt", "noam", "cosine", "linear_cosine", "noisy_linear_cosine", "htd", "exp_cosine", "triangular",
    "triangular2", "exp_range", "sgdr", "sin", "sin2", "sinexp", "ssgdr", "sawtooth_espnetv2", "slanted_triangular",
    "one_cycle", "one_cycle_paper", "long_trapezoid", "constant_warmup", "linear_warmup", "warmup_cosine", "sequence",
    "expression",  # the contract's typed schedule
}
