"""Use-cases: plain functions taking a Session and an actor. The only code that writes."""
