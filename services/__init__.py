"""Zorgplek's services and the composition root that knows them all."""
