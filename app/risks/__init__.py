"""Section 1 of the plan kept by the ACS: the corruption-risk register and map, the media log, hearings and registers."""
