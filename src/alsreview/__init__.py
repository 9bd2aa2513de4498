"""alsreview: evidence synthesis for stem-cell therapy in amyotrophic lateral sclerosis.

Pipeline stages are sub-packages (protocol -> sources -> records -> dedup -> screening ->
appraisal -> evidence -> meta -> report; trial for individual-patient data).  Importing the
package is cheap: heavy libraries (scipy, matplotlib, pandas) are imported inside the
functions that need them.
"""

from alsreview.errors import AlsreviewError, ImportFormatError, ValidationError

__version__ = "0.1.0"
__all__ = ["AlsreviewError", "ImportFormatError", "ValidationError", "__version__"]
