"""registrar: REGISTER processing (``save``) and finding where a user is (``lookup``);
see :mod:`.module` and docs/registrar-auth.md. (Kept empty so that the cfg catalog can
import :mod:`.params` cheaply.)"""
