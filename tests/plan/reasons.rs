//! Reason and warning texts on small hand-made organisations.
