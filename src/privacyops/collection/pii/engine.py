"""An offline Presidio analyzer: blank spaCy tokenizers and pattern recognizers only."""

import functools
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_analyzer.recognizer_registry import RecognizerRegistry
from spacy.language import Language
from spacy.tokens import Doc

from privacyops.collection.pii.recognizers import build_recognizers, context_pattern

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh")

_WARM_UP_TEXT = "mail a@example.com, call 13800000000 or +1 212 555 0100, 192.0.2.1"


class BlankSpacyNlpEngine(NlpEngine):
    """Presidio's NLP engine interface over blank spaCy pipelines.

    ``SpacyNlpEngine.load`` downloads any model that is not installed, and the
    official models are not on PyPI. ``spacy.blank`` needs no package: English
    gets the rule tokenizer, Chinese the built-in per-character segmenter (no
    jieba or pkuseg). There is no NER and no lemmatizer, so entities are
    empty and the lowercased token text stands in for lemmas.
    """

    def __init__(self, languages: Sequence[str] = LANGUAGES) -> None:
        self.languages = tuple(languages)
        self.nlp: dict[str, Language] = {}

    def load(self) -> None:
        self.nlp = {language: spacy.blank(language) for language in self.languages}

    def is_loaded(self) -> bool:
        return bool(self.nlp)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return self._artifacts(self._pipeline(language)(text), language)

    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        **kwargs: Any,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        docs = self._pipeline(language).pipe(texts, batch_size=batch_size, n_process=n_process)
        for doc in docs:
            yield doc.text, self._artifacts(doc, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return bool(self._pipeline(language).vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:
        return bool(self._pipeline(language).vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return list(self.languages)

    def _pipeline(self, language: str) -> Language:
        if not self.nlp:
            self.load()
        try:
            return self.nlp[language]
        except KeyError:
            raise ValueError(f"no NLP pipeline for language {language!r}") from None

    def _artifacts(self, doc: Doc, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )


class WindowContextEnhancer(ContextAwareEnhancer):
    """Context boost from the characters around a match, not from lemmas.

    Presidio's lemma enhancer compares context words with the lemmas of the
    tokens before a match. A blank pipeline has no lemmas, and blank Chinese
    makes every character a token, so ``手机`` could never match. Looking at
    raw text works for both languages.
    """

    def __init__(
        self,
        *,
        before: int = 24,
        after: int = 12,
        factor: float = 0.35,
        floor: float = 0.4,
    ) -> None:
        super().__init__(
            context_similarity_factor=factor,
            min_score_with_context_similarity=floor,
            context_prefix_count=before,
            context_suffix_count=after,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_id = {recognizer.id: recognizer for recognizer in recognizers}
        extra = " ".join(context or []).lower()
        for result in raw_results:
            metadata = result.recognition_metadata or {}
            recognizer = by_id.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, ""))
            if recognizer is None or not recognizer.context:
                continue
            if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            window = " ".join(
                (
                    text[max(0, result.start - self.context_prefix_count) : result.start],
                    text[result.end : result.end + self.context_suffix_count],
                    extra,
                )
            ).lower()
            word = self._supporting_word(recognizer, window)
            if word is None:
                continue
            score = result.score + self.context_similarity_factor
            score = max(score, self.min_score_with_context_similarity)
            result.score = min(score, self.MAX_SCORE)
            if result.analysis_explanation is not None:
                result.analysis_explanation.set_supportive_context_word(word)
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results

    @staticmethod
    def _supporting_word(recognizer: EntityRecognizer, window: str) -> str | None:
        return next((w for w in recognizer.context if context_pattern(w).search(window)), None)


def build_analyzer(languages: Sequence[str] = LANGUAGES) -> AnalyzerEngine:
    """A new analyzer. It takes 0.3-1 s, so services share ``get_analyzer()``."""
    started = time.perf_counter()
    registry = RecognizerRegistry(supported_languages=list(languages))
    for language in languages:
        for recognizer in build_recognizers(language):
            registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=BlankSpacyNlpEngine(languages),
        supported_languages=list(languages),
        context_aware_enhancer=WindowContextEnhancer(),
    )
    # The first analysis compiles every pattern and loads the public-suffix
    # snapshot; pay for that here rather than on the first ticket.
    for language in languages:
        analyzer.analyze(text=_WARM_UP_TEXT, language=language)
    logger.info("PII analyzer built in %.3f s", time.perf_counter() - started)
    return analyzer


_build_lock = threading.Lock()


@functools.cache
def _cached_analyzer() -> AnalyzerEngine:
    return build_analyzer()


def get_analyzer() -> AnalyzerEngine:
    """The process-wide analyzer, built on first use.

    The lock keeps two threads that arrive together from building it twice;
    ``functools.cache`` alone does not promise that.
    """
    with _build_lock:
        return _cached_analyzer()
