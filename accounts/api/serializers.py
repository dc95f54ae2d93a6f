from rest_framework import serializers

from accounts.models import Branch, Role, User


class UserSerializer(serializers.ModelSerializer):
    branch_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "branch_id", "is_active", "created_at"]
        read_only_fields = fields


class UserRegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=200)
    role = serializers.ChoiceField(choices=Role.choices)
    branch_id = serializers.UUIDField(required=False, allow_null=True)


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh_token = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds (3600).")


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "address", "phone", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class BranchInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
