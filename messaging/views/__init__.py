"""Views of the messaging app, one module per page family. Views are thin: fetch and
authorise (through the gate), validate a form, call one service, redirect or render."""
