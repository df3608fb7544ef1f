"""The paper's world: service types (:mod:`.services`), the typed scenario
(:mod:`.scenario`), the LLM catalog (:mod:`.catalog`), the task generator (:mod:`.tasks`)
and the radio channel of TR 38.901 (:mod:`.channel`)."""
