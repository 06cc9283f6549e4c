"""A simple mock provider: the guide's example plugin, offline, for the demo, tests and benchmarks.

It is also the smallest complete plugin in the repository, so it is written the way the plugin development
guide shows plugins: a ``BaseAIProvider`` subclass plus a module-level ``AIProviderPlugin``. Copy it as a
starting point for your own provider.

Messages are assembled from a deck of short facts and a handful of framings. Each provider instance deals the
facts in a shuffled order and only reshuffles once all have been used, so consecutive messages never repeat
a fact within one pass of the deck (the ticker rejects near-duplicates).

``extra_params`` knobs, for tests and benchmarks:

- ``seed``: any value; the same seed gives the same sequence of messages.
- ``latency_ms``: sleep this long before answering. A latency beyond the configured ``timeout`` behaves like
  a real timeout: the call waits ``timeout`` seconds, then fails with kind ``timeout``.
- ``fail``: ``true`` fails every call with kind ``server_error``; an error kind such as ``"auth"`` or
  ``"rate_limited"`` fails with that kind.
- ``fixed``: always answer this exact text.
- ``empty``: ``true`` answers an empty string (to exercise the host's empty-answer handling).
"""

import logging
import random
import time
from typing import Any, Dict, List, Optional

from plugins.base_provider import AIProviderPlugin, AIResponse, BaseAIProvider, CallError, ErrorKind, ProviderConfig

logger = logging.getLogger(__name__)

FRAMINGS = [
    "Did you know? {fact}",
    "Fun fact: {fact}",
    "Today's trivia: {fact}",
    "Worth knowing: {fact}",
    "Here's one for the coffee break: {fact}",
    "Random fact of the moment: {fact}",
    "File under curious: {fact}",
    "A little science: {fact}",
]

FACTS = [
    "Octopuses have three hearts and blue blood.",
    "Honey found in ancient Egyptian tombs was still edible.",
    "A day on Venus is longer than its year.",
    "Bananas are berries, but strawberries are not.",
    "Sharks existed before trees did.",
    "The Eiffel Tower grows about 15 cm taller on hot summer days.",
    "Wombats produce cube-shaped droppings.",
    "There are more possible chess games than atoms in the observable universe.",
    "A group of flamingos is called a flamboyance.",
    "Sea otters hold hands while they sleep so they don't drift apart.",
    "The first computer bug was an actual moth found in a relay in 1947.",
    "Hot water can freeze faster than cold water under some conditions.",
    "Cows have best friends and get stressed when separated.",
    "Light from the Sun takes about eight minutes to reach Earth.",
    "The human nose can tell apart at least a trillion scents.",
    "Some turtles can breathe through their rear ends.",
    "A bolt of lightning is about five times hotter than the Sun's surface.",
    "Butterflies taste with their feet.",
    "The shortest war in history lasted under an hour.",
    "An ostrich's eye is bigger than its brain.",
    "Saturn would float in a bathtub large enough to hold it.",
    "Koalas sleep up to 22 hours a day.",
    "Your stomach gets a new lining every few days.",
    "Snails can sleep for up to three years.",
    "There is enough DNA in your body to stretch to Pluto and back.",
    "A jiffy is an actual unit of time used in physics.",
    "Crows can recognise and remember human faces.",
    "The dot over a lowercase i or j is called a tittle.",
    "Venus is the only planet that spins clockwise.",
    "Pineapples take about two years to grow.",
    "A cloud can weigh more than a million pounds.",
    "The unicorn is Scotland's national animal.",
    "Antarctica is the largest desert on Earth.",
    "Humans share about 60 percent of their DNA with bananas.",
    "The heart of a blue whale is the size of a small car.",
    "Hummingbirds are the only birds that can fly backwards.",
    "Mount Everest grows a few millimetres every year.",
    "The Moon moves about 3.8 cm away from Earth each year.",
    "A teaspoon of neutron star would weigh about a billion tonnes.",
    "Bees can recognise human faces.",
    "Dolphins give each other names in the form of signature whistles.",
    "The longest recorded flight of a chicken is 13 seconds.",
    "Polar bear fur is actually transparent, not white.",
    "Water can boil and freeze at the same time at its triple point.",
    "An astronaut can grow up to 5 cm taller in space.",
    "Cats spend around two thirds of their lives asleep.",
    "The Great Wall of China is not visible to the naked eye from orbit.",
    "Tardigrades can survive the vacuum of space.",
    "Some metals, like gallium, melt in your hand.",
    "A rainbow seen from an aeroplane can be a full circle.",
    "Penguins propose to their mates with a pebble.",
    "The Sahara was green and full of lakes about 6,000 years ago.",
    "Owls cannot move their eyes, so they turn their heads instead.",
    "Glass is made mostly from sand.",
    "Earth's core is roughly as hot as the surface of the Sun.",
    "Most of the dust in your home comes from outside.",
    "The fingerprints of koalas look almost exactly like human ones.",
    "Grapes can spark in a microwave oven.",
    "Giraffes have the same number of neck bones as humans: seven.",
    "A single cloud droplet is about a hundred times smaller than a raindrop.",
    "Jupiter has the shortest day of all the planets, under ten hours.",
    "The oldest known living tree is more than 4,800 years old.",
    "Electric eels can produce shocks of around 600 volts.",
    "Pluto has mountains made of water ice.",
]

#: The closing a mock message may end with, so even a repeated fact reads a little differently.
CLOSINGS = ["", "", "", " Pass it on!", " Now you know.", " Amazing, isn't it?", " Share it with a friend."]


class MockProvider(BaseAIProvider):
    """An offline provider: no network, no API key, varied messages."""

    default_base_url = ""
    default_model = "mock-1"
    api_key_env = ""

    def __init__(self, config: ProviderConfig):
        super().__init__(config)
        params = config.extra_params or {}
        self._random = random.Random(params["seed"]) if "seed" in params else random.Random()
        self._deck: List[str] = []

    @property
    def provider_name(self) -> str:
        return "Mock"

    @property
    def supported_models(self) -> List[str]:
        return ["mock-1"]

    def validate_config(self) -> bool:
        """A mock needs no API key: only a name and a model."""
        for field_name in ("name", "model"):
            if not getattr(self.config, field_name, None):
                self.logger.error("%s is required for %s", field_name, self.config.name or type(self).__name__)
                return False
        return True

    def initialize(self) -> bool:
        if not self.validate_config():
            return False
        self.logger.info("Initialized %s with model: %s", self.provider_name, self.config.model)
        return True

    def generate_message(self, system_prompt: str, user_prompt: str) -> Optional[AIResponse]:
        self.last_error = None
        params: Dict[str, Any] = self.config.extra_params or {}

        if not self._wait(params.get("latency_ms")):
            return None

        failure = params.get("fail")
        if failure:
            kind = failure if isinstance(failure, str) and failure in _ERROR_KINDS else ErrorKind.SERVER_ERROR
            return self._fail(kind, "simulated failure (extra_params.fail)")

        if params.get("empty"):
            content = ""
        elif params.get("fixed") is not None:
            content = str(params["fixed"])
        else:
            content = self._next_message()

        prompt_tokens = len(system_prompt.split()) + len(user_prompt.split())
        completion_tokens = len(content.split())
        return AIResponse(
            content=content,
            provider_name=self.provider_name,
            model=self.config.model,
            usage={
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            metadata={"finish_reason": "stop", "mock": True},
        )

    def health_check(self) -> bool:
        return True

    def _next_message(self) -> str:
        if not self._deck:
            self._deck = list(FACTS)
            self._random.shuffle(self._deck)
        fact = self._deck.pop()
        framing = self._random.choice(FRAMINGS)
        return framing.format(fact=fact) + self._random.choice(CLOSINGS)

    def _wait(self, latency_ms: Any) -> bool:
        """Sleep the simulated latency; False (with last_error set) when it exceeds the call's timeout."""
        if latency_ms in (None, "", 0):
            return True
        try:
            seconds = max(0.0, float(latency_ms) / 1000)
        except (TypeError, ValueError):
            self.logger.warning("Ignoring extra_params.latency_ms=%r: not a number", latency_ms)
            return True
        timeout = float(self.config.timeout or 0)
        if timeout > 0 and seconds > timeout:
            time.sleep(timeout)
            self._fail(ErrorKind.TIMEOUT, f"simulated latency {seconds:g}s exceeds the {timeout:g}s timeout")
            return False
        time.sleep(seconds)
        return True

    def _fail(self, kind: str, message: str) -> None:
        self.last_error = CallError(kind=kind, message=message)
        self.logger.warning("provider=%s call=generate outcome=%s reason=%s", self.config.name, kind, message)
        return None


_ERROR_KINDS = {value for name, value in vars(ErrorKind).items() if name.isupper() and isinstance(value, str)}


MockPlugin = AIProviderPlugin(
    provider_class=MockProvider,
    metadata={
        "name": "Mock Provider",
        "version": "1.0.0",
        "author": "AI-Ticker",
        "description": "Offline provider with varied built-in messages; no network, no API key. For demos and tests.",
        "requires": [],
        "category": "custom",
        "api_version": "v1",
        "supported_features": ["chat_completion", "health_check"],
        "license": "MIT",
    },
)
