from gi.repository import Qi


class RaiseRegister(Qi.Addon):
    def do_register_addon(self):
        self.get_endpoint().add_handler("pyraise.never", lambda request, payload: {})
        return {}["farm"]
