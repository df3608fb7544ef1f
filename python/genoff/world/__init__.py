"""The paper's world: service types (:mod:`.services`), the typed scenario
(:mod:`.scenario`), the LLM catalog (:mod:`.catalog`), the task generator (:mod:`.tasks`)
and the radio channel of TR 38.901: path loss, LOS and shadowing (:mod:`.propagation`), the
BS antenna (:mod:`.antenna`), sites, user drops and the large-scale gains (:mod:`.topology`)."""
