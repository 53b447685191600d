"""The learned category suggester: a text classifier trained on a desk's closed tickets.

Pure machine learning: no database, no Textual. The caller (the DB integration) hands over
texts and the categories the desk gave them, stores the model file and asks for suggestions.
The desk's own taxonomy is learned as is: any set of two or more label strings works.

Algorithm (chosen by 5-fold cross-validation on the 38k-ticket dev set; the benchmark
bench/bench_classifier.py prints the resulting figures):

* `normalise` folds case and accents and keeps letter runs only. The dev data was published
  like that (lowercase, no digits or punctuation), and doing the same to live tickets makes
  "VPN-Client (v2.3) crashed!" and "vpn client crashed" the same evidence.
* Two TF-IDF blocks, each L2-normalised, sublinear tf: word 1-2-grams (words of >= 2
  letters) and character 3-5-grams inside word boundaries (`char_wb`). Character n-grams
  catch typos, inflections and compounds the word block misses ("printers", "printr").
* NB-SVM (Wang & Manning 2012): one-vs-rest linear SVMs, each on the features scaled by the
  naive-Bayes log-count ratio of its class. Cross-validated accuracy 0.862, against 0.860
  for a plain linear SVM on the same features, 0.856 with word n-grams only and 0.855 for
  logistic regression; averaging several such models gained nothing. The ratio is folded
  into the weights, so inference is one sparse dot product per category.
* Confidence: softmax of the SVM decision values divided by a temperature fitted (minimum
  log-loss) on a stratified 20 % of the training tickets, scored by a first model fitted
  on the other 80 %; the final model is then fitted on everything. The same held-out part
  gives the accuracy estimate in `ModelInfo.metrics`.

Inference needs numpy only: the model file holds the vocabularies, idf and weight arrays
(`.npz` read with `allow_pickle=False`, so loading runs no code) and this module recomputes
the TF-IDF vectors with the same pure-Python analyzers that scikit-learn was given at
training time; `train_with_reference` lets tests and the benchmark check the two agree.
scikit-learn is needed by `CategoryModel.train` only (`pip install 'helpdesk-tui[ml]'`;
numpy comes with it). Both are imported inside functions: importing this module costs
nothing and the rest of the product works without them.

Layout: this module is the public API (import from here); the code lives in sibling modules.
`classifier_types` holds the constants and the error and result types, `classifier_features`
`normalise` and the analyzers, `classifier_model` `CategoryModel` and `train_with_reference`,
`classifier_fitting` the scikit-learn building blocks and `Reference`, `classifier_calibration`
the softmax temperature, `classifier_npz` the model file helpers and `classifier_evaluation`
`evaluate`.
"""

from __future__ import annotations

from helpdesk_tui.services.classifier_evaluation import evaluate
from helpdesk_tui.services.classifier_features import _word_char_terms as _word_char_terms
from helpdesk_tui.services.classifier_features import char_terms, normalise, word_terms
from helpdesk_tui.services.classifier_fitting import Reference
from helpdesk_tui.services.classifier_model import CategoryModel, train_with_reference
from helpdesk_tui.services.classifier_types import (
    ALGORITHM,
    FORMAT,
    FORMAT_VERSION,
    LOW_CONFIDENCE,
    CategoryMetrics,
    ClassifierUnavailable,
    EvalReport,
    ModelInfo,
    Suggestion,
)

# The `x as x` import re-exports a private name bench/bench_classifier.py takes from here
# (it clears the per-word n-gram cache between timings).

__all__ = [
    "ALGORITHM",
    "FORMAT",
    "FORMAT_VERSION",
    "LOW_CONFIDENCE",
    "CategoryMetrics",
    "CategoryModel",
    "ClassifierUnavailable",
    "EvalReport",
    "ModelInfo",
    "Reference",
    "Suggestion",
    "char_terms",
    "evaluate",
    "normalise",
    "train_with_reference",
    "word_terms",
]
