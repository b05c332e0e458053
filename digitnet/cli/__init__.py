"""The command line: `digitnet predict | train | evaluate | finetune | app`."""
