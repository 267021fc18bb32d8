"""The first-run assistant (issue #12): ``wizard.FirstRunWizard``."""
