"""The engine of rehearse: the World and its Clock, the Recorder, the outbox, faults, checkers, the run and its CLI."""
